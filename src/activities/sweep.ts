import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { durationMs, type Config } from '../config';
import type { Db } from '../db/pool';
import { platformOrganizationId, systemActorId } from '../db/queries/codes';
import type { KeysetPosition } from '../db/queries/keyset';
import { insertSchedulerRun, lateTimers, overdueTasks, slaCandidates, sweepOrganizations } from '../db/queries/sweep';
import { logger } from '../logger';
import { sweepChanges, sweepDuration, sweepErrors, sweepRuns } from '../metrics';
import { refusalFrom } from '../temporal/commands';
import { instanceWorkflowId } from '../temporal/ids';
import { checkSlaUpdate, escalateOverdueTaskUpdate, fireTimerUpdate } from '../workflows/messages';
import { overdueLevel, slaDecision } from '../workflows/sla';
import type { SweepReport } from '../workflows/sweep';

export type SweepJob = 'sla' | 'timers' | 'tasks';

export interface BatchRequest {
  job: SweepJob;
  organizationId: string;
  asOf: string;
  dryRun: boolean;
  limit: number;
  after: KeysetPosition | null;
}

export interface BatchResult {
  selected: number;
  /** What changed (or would change, on a dry run): warned, escalated, fired, tasks_escalated, notifications. */
  changed: Record<string, number>;
  skipped: Record<string, number>;
  errors: number;
  next: KeysetPosition | null;
}

/** How many instance workflows one batch talks to at once (bench/sweep.ts: 45 escalations/s on 2 cores). */
const concurrency = 32;
/** An instance that does not answer in this time (its worker gone, its task failing) is left for the next run. */
const itemTimeoutMs = 20_000;

async function eachLimited<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  let index = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (index < items.length) {
      const item = items[index++];
      await work(item);
      Context.current().heartbeat(index);
    }
  });
  await Promise.all(lanes);
}

export interface SweepDeps {
  db: Db;
  temporal: Client;
  config: Config;
}

/**
 * The sweep's activities: select what is due from the read models, then ask each instance's workflow to act
 * (it re-decides, so only one of two concurrent sweeps changes anything). A refusal is a skip, counted by
 * its code; any other failure is counted as an error and left for the next run.
 */
export function sweepActivities({ db, temporal, config }: SweepDeps) {
  const operationsTeam = config.HERA_OPERATIONS_TEAM;

  async function send(job: SweepJob, result: BatchResult, organizationId: string, instanceId: string, act: (handle: ReturnType<Client['workflow']['getHandle']>) => Promise<Record<string, number>>) {
    try {
      const handle = temporal.workflow.getHandle(instanceWorkflowId(organizationId, instanceId));
      const changed = await temporal.connection.withDeadline(Date.now() + itemTimeoutMs, () => act(handle));
      for (const [key, n] of Object.entries(changed)) {
        result.changed[key] = (result.changed[key] ?? 0) + n;
        if (n > 0) sweepChanges.inc({ job, change: key }, n);
      }
    } catch (error) {
      const refusal = refusalFrom(error);
      const code = refusal?.code ?? (error instanceof WorkflowNotFoundError ? 'INSTANCE_NOT_RUNNING' : undefined);
      if (code) {
        result.skipped[code] = (result.skipped[code] ?? 0) + 1;
        return;
      }
      result.errors += 1;
      sweepErrors.inc({ job });
      logger.warn({ job, organizationId, instanceId, error: String((error as Error).message ?? error) }, 'sweep item failed; the next run retries it');
    }
  }

  async function sla(request: BatchRequest, result: BatchResult) {
    const page = await db.withOrg(request.organizationId, (sql) => slaCandidates(sql, request.organizationId, request.asOf, request.limit, request.after));
    result.selected = page.rows.length;
    result.next = page.next;
    const asOfMs = Date.parse(request.asOf);
    await eachLimited(page.rows, async (row) => {
      if (request.dryRun) {
        const decision = slaDecision(
          { slaAt: row.sla_at, durationMs: row.sla_duration_ms, warningLevel: row.sla_warning_level, escalationLevel: row.sla_escalation_level },
          asOfMs,
        );
        const add = (key: string, n: number) => (result.changed[key] = (result.changed[key] ?? 0) + n);
        add('warned', decision.warn !== null ? 1 : 0);
        add('escalated', decision.escalate.length ? 1 : 0);
        add('notifications', (decision.warn !== null ? 1 : 0) + decision.escalate.length);
        return;
      }
      await send('sla', result, request.organizationId, row.instance_id, async (handle) => {
        const answer = await handle.executeUpdate(checkSlaUpdate, { args: [{ as_of: request.asOf, operations_team: operationsTeam }] });
        return { warned: answer.warned ? 1 : 0, escalated: answer.escalated_levels.length ? 1 : 0, notifications: answer.notifications };
      });
    });
  }

  async function timers(request: BatchRequest, result: BatchResult) {
    // "Late" is past due by more than the grace period: Temporal fires timers on time, this is the safety net. A
    // timer is late only in real time, so a future `as_of` never fires one early.
    const dueBefore = new Date(Math.min(Date.parse(request.asOf), Date.now()) - durationMs(config.HERA_TIMER_GRACE)).toISOString();
    const page = await db.withOrg(request.organizationId, (sql) => lateTimers(sql, request.organizationId, dueBefore, request.limit, request.after));
    result.selected = page.rows.length;
    result.next = page.next;
    await eachLimited(page.rows, async (row) => {
      if (request.dryRun) {
        result.changed.fired = (result.changed.fired ?? 0) + 1;
        return;
      }
      await send('timers', result, request.organizationId, row.instance_id, async (handle) => {
        const answer = await handle.executeUpdate(fireTimerUpdate, {
          args: [{ actor: { userId: systemActorId, roles: ['system'] }, timer_id: row.timer_id, reason: 'late: fired by the SLA sweep', due_by: dueBefore }],
        });
        return { fired: answer.status === 'FIRED' || answer.status === 'FAILED' ? 1 : 0 };
      });
    });
  }

  async function tasks(request: BatchRequest, result: BatchResult) {
    const page = await db.withOrg(request.organizationId, (sql) => overdueTasks(sql, request.organizationId, request.asOf, request.limit, request.after));
    result.selected = page.rows.length;
    result.next = page.next;
    const asOfMs = Date.parse(request.asOf);
    await eachLimited(page.rows, async (row) => {
      if (request.dryRun) {
        const levels = Math.max(0, overdueLevel(row.due_at, asOfMs) - row.overdue_level);
        result.changed.tasks_escalated = (result.changed.tasks_escalated ?? 0) + (levels > 0 ? 1 : 0);
        result.changed.notifications = (result.changed.notifications ?? 0) + levels;
        return;
      }
      await send('tasks', result, request.organizationId, row.instance_id, async (handle) => {
        const answer = await handle.executeUpdate(escalateOverdueTaskUpdate, { args: [{ task_id: row.task_id, as_of: request.asOf, operations_team: operationsTeam }] });
        return { tasks_escalated: answer.escalated_levels.length ? 1 : 0, notifications: answer.notifications };
      });
    });
  }

  const handlers: Record<SweepJob, (request: BatchRequest, result: BatchResult) => Promise<void>> = { sla, timers, tasks };

  return {
    async sweepOrganizations({ filter }: { filter: string[] | null }): Promise<string[]> {
      return sweepOrganizations(db.pool, filter);
    },

    /** One page of one job in one organization. */
    async sweepBatch(request: BatchRequest): Promise<BatchResult> {
      const result: BatchResult = { selected: 0, changed: {}, skipped: {}, errors: 0, next: null };
      await handlers[request.job](request, result);
      return result;
    },

    /** The run's WF_SCHEDULER_RUN record; counted in the run metrics once, however often the activity is retried. */
    async recordSweepRun({ report, organizationFilter }: { report: SweepReport; organizationFilter: string[] | null }): Promise<void> {
      const status = report.errors > 0 ? 'COMPLETED_WITH_ERRORS' : 'COMPLETED';
      const { scheduler_run_id, trigger, as_of, started_at, run_duration_ms, ...counts } = report;
      const recorded = await db.withOrg(platformOrganizationId, (sql) =>
        insertSchedulerRun(sql, { run_id: scheduler_run_id, trigger, as_of, organization_filter: organizationFilter, counts, run_duration_ms, started_at, status }, systemActorId),
      );
      if (recorded) {
        sweepRuns.inc({ trigger, status });
        sweepDuration.observe(run_duration_ms / 1000);
      }
    },
  };
}
