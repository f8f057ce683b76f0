import { Counter, Gauge } from 'prom-client';
import type { Db } from './db/pool';
import { workflowCounts, type WorkflowCounts } from './db/queries/metrics';
import { organizationCode } from './db/queries/organizations';
import { sweepOrganizations } from './db/queries/sweep';
import { logger } from './logger';
import { registry } from './metrics';

/** What the gauges show of one organization: counts of GET /api/v1/metrics/workflows, no instance of its own. */
export type WorkflowNumbers = Pick<WorkflowCounts, 'instances' | 'paused_instances' | 'overdue_instances' | 'at_risk_instances' | 'tasks_open' | 'tasks_overdue' | 'effects_failed'>;

/** One organization's numbers under its code (the `organization` label). */
export interface OrganizationNumbers {
  organization: string;
  numbers: WorkflowNumbers;
}

/**
 * Every active organization's numbers (the organizations the sweep visits). Row-level security admits one
 * organization per transaction, so they are read one after the other: a collection holds one connection at a time.
 */
export async function readOrganizationNumbers(db: Db, nowMs: number): Promise<OrganizationNumbers[]> {
  const all: OrganizationNumbers[] = [];
  for (const id of await sweepOrganizations(db.pool, null)) {
    all.push(
      await db.withOrg(id, async (sql) => ({ organization: await organizationCode(sql, id), numbers: await workflowCounts(sql, id, nowMs) })),
    );
  }
  return all;
}

/**
 * `read`, at most once per `ttlMs` however often Prometheus scrapes (concurrent scrapes share one reading). A
 * failed reading keeps the last numbers, is counted, and is tried again only after `ttlMs`.
 */
export function cachedNumbers(read: (nowMs: number) => Promise<OrganizationNumbers[]>, ttlMs: number): () => Promise<OrganizationNumbers[] | undefined> {
  let last: OrganizationNumbers[] | undefined;
  let readAt = Number.NEGATIVE_INFINITY;
  let reading: Promise<OrganizationNumbers[] | undefined> | undefined;
  return () => {
    if (Date.now() - readAt < ttlMs) return Promise.resolve(last);
    reading ??= read(Date.now())
      .then(
        (numbers) => {
          last = numbers;
        },
        (error: unknown) => {
          collectErrors.inc();
          logger.warn({ err: error }, 'business gauges keep their last numbers: reading them failed');
        },
      )
      .then(() => {
        readAt = Date.now();
        reading = undefined;
        return last;
      });
    return reading;
  };
}

/** Open systems that can read the numbers; the newest answers (tests open several in one process). */
const sources: Array<() => Promise<OrganizationNumbers[] | undefined>> = [];

/** The newest source's numbers (undefined without one: a worker has none). */
const current = () => sources.at(-1)?.() ?? Promise.resolve(undefined);

const collectErrors = new Counter({
  name: 'hera_metrics_collect_errors_total',
  help: 'Collections of the business gauges that failed (the gauges kept their last numbers)',
  registers: [registry],
  // Waits for the scrape's collection (the one the gauges share), so a failure shows in the same scrape.
  async collect() {
    await current();
  },
});

/** Where the business gauges read from at scrape time; answers how to withdraw it. */
export function provideWorkflowNumbers(source: () => Promise<OrganizationNumbers[] | undefined>): () => void {
  sources.push(source);
  return () => {
    const index = sources.indexOf(source);
    if (index >= 0) sources.splice(index, 1);
  };
}

/** A gauge set on each scrape from every organization's numbers; without a source (a worker) it shows none. */
function businessGauge<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[],
  samples: (numbers: WorkflowNumbers) => Array<[Record<L, string>, number]>,
): void {
  new Gauge<'organization' | L>({
    name,
    help,
    labelNames: ['organization', ...labelNames],
    registers: [registry],
    async collect() {
      const all = await current();
      this.reset();
      for (const { organization, numbers } of all ?? []) {
        for (const [labels, value] of samples(numbers)) this.set({ organization, ...labels } as Record<'organization' | L, string>, value);
      }
    },
  });
}

businessGauge('hera_instances', 'Instances by organization, definition, current state and status', ['definition', 'state', 'status'], (n) =>
  n.instances.map((i) => [{ definition: i.definition_code, state: i.current_state, status: i.status }, i.count]),
);
businessGauge('hera_instances_paused', 'Paused active instances by organization', [], (n) => [[{}, n.paused_instances]]);
businessGauge('hera_sla_overdue', 'Active, unpaused instances past an SLA breach, by organization', [], (n) => [[{}, n.overdue_instances]]);
businessGauge('hera_sla_at_risk', 'Active, unpaused instances not yet breached whose SLA falls within 24 h, by organization', [], (n) => [
  [{}, n.at_risk_instances],
]);
businessGauge('hera_tasks_open', 'Open or claimed tasks by organization, assignee role (empty: none) and priority', ['role', 'priority'], (n) =>
  n.tasks_open.map((t) => [{ role: t.assignee_role ?? '', priority: t.priority }, t.count]),
);
businessGauge('hera_tasks_overdue', 'Open or claimed tasks past their due time, by organization', [], (n) => [[{}, n.tasks_overdue]]);
businessGauge('hera_effects_failed', 'Effects failed for good (PERMANENTLY_FAILED), by organization', [], (n) => [[{}, n.effects_failed]]);
