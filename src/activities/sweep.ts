import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { durationMs, type Config } from '../config';
import type { Db, Sql } from '../db/pool';
import { platformOrganizationId, systemActorId } from '../db/queries/codes';
import type { KeysetPosition } from '../db/queries/keyset';
import { insertSchedulerRun, lateTimers, overdueTasks, slaCandidates, sweepOrganizations, type LateTimer, type OverdueTask, type SlaCandidate } from '../db/queries/sweep';
import { logger } from '../logger';
import { sweepChanges, sweepDuration, sweepErrors, sweepRuns } from '../metrics';
import { refusalFrom } from '../temporal/commands';
import { instanceWorkflowId } from '../temporal/ids';
import { checkSlaUpdate, escalateOverdueTaskUpdate, fireTimerUpdate } from '../workflows/messages';
import { overdueLevel, slaDecision } from '../workflows/sla';
import { addCounts, type BatchRequest, type BatchResult, type SweepReport } from '../workflows/sweepContract';

/** How many instance workflows one batch talks to at once (bench/sweep.ts: 45–56 escalations/s on 2 cores). */
const concurrency = 32;
/** The id of the sweep's fireTimer Update for one late timer in one run (the run's `as_of`). */
export const lateTimerUpdateId = (timerId: string, asOf: string) => `late-timer:${timerId}:${asOf}`;

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
  /** An instance that does not answer in this time (its worker gone, its task failing) is counted as an error. */
  const itemTimeout = durationMs(config.HERA_SWEEP_ITEM_TIMEOUT);

  type Handle = ReturnType<Client['workflow']['getHandle']>;
  type Counts = Record<string, number>;

  /** One job: what is due (a page of a read model), what a row would change, and the Update that changes it. */
  interface Job<Row extends { instance_id: string }> {
    select(request: BatchRequest): (sql: Sql) => Promise<{ rows: Row[]; next: KeysetPosition | null }>;
    wouldChange(row: Row, request: BatchRequest): Counts;
    act(handle: Handle, row: Row, request: BatchRequest): Promise<Counts>;
  }

  /** A job's page: counted on a dry run, otherwise each row sent to its instance's workflow. */
  async function runJob<Row extends { instance_id: string }>(job: Job<Row>, request: BatchRequest, result: BatchResult): Promise<void> {
    const page = await db.withOrg(request.organizationId, job.select(request));
    result.selected = page.rows.length;
    result.next = page.next;
    await eachLimited(page.rows, async (row) => {
      if (request.dryRun) {
        addCounts(result.changed, job.wouldChange(row, request));
        return;
      }
      try {
        const handle = temporal.workflow.getHandle(instanceWorkflowId(request.organizationId, row.instance_id));
        const changed = await temporal.connection.withDeadline(Date.now() + itemTimeout, () => job.act(handle, row, request));
        addCounts(result.changed, changed);
        for (const [change, n] of Object.entries(changed)) if (n > 0) sweepChanges.inc({ sweep_job: request.job, change }, n);
      } catch (error) {
        const code = refusalFrom(error)?.code ?? (error instanceof WorkflowNotFoundError ? 'INSTANCE_NOT_RUNNING' : undefined);
        if (code) {
          addCounts(result.skipped, { [code]: 1 });
          return;
        }
        result.errors += 1;
        sweepErrors.inc({ sweep_job: request.job });
        logger.warn({ job: request.job, organizationId: request.organizationId, instanceId: row.instance_id, error: String((error as Error).message ?? error) }, 'sweep item failed; the next run retries it');
      }
    });
  }

  const sla: Job<SlaCandidate> = {
    select: (r) => (sql) => slaCandidates(sql, r.organizationId, r.asOf, r.limit, r.after),
    wouldChange(row, r) {
      const decision = slaDecision(
        {
          slaAt: row.sla_at,
          durationMs: row.sla_duration_ms,
          warningLevel: row.sla_warning_level,
          escalationLevel: row.sla_escalation_level,
          ...(row.sla_warnings_at ? { warningsAt: row.sla_warnings_at } : {}),
        },
        Date.parse(r.asOf),
      );
      const warned = decision.warn !== null ? 1 : 0;
      return { warned, escalated: decision.escalate.length ? 1 : 0, notifications: warned + decision.escalate.length };
    },
    async act(handle, _row, r) {
      const answer = await handle.executeUpdate(checkSlaUpdate, { args: [{ as_of: r.asOf, operations_team: operationsTeam }] });
      return { warned: answer.warned ? 1 : 0, escalated: answer.escalated_levels.length ? 1 : 0, notifications: answer.notifications };
    },
  };

  // "Late" is past due by more than the grace period: Temporal fires timers on time, this is the safety net. A
  // timer is late only in real time, so a future `as_of` never fires one early.
  const dueBefore = (r: BatchRequest) => new Date(Math.min(Date.parse(r.asOf), Date.now()) - durationMs(config.HERA_TIMER_GRACE)).toISOString();
  const timers: Job<LateTimer> = {
    select: (r) => (sql) => lateTimers(sql, r.organizationId, dueBefore(r), r.limit, r.after),
    wouldChange: () => ({ fired: 1 }),
    async act(handle, row, r) {
      // The instance re-checks the deadline: a resume may have moved it since the selection. The Update's id is
      // the run's (Temporal deduplicates it within the instance's run): a retried batch joins the fire it already
      // asked for, and the next run asks anew, however this one was answered.
      const answer = await handle.executeUpdate(fireTimerUpdate, {
        updateId: lateTimerUpdateId(row.timer_id, r.asOf),
        args: [{ actor: { userId: systemActorId, roles: ['system'] }, timer_id: row.timer_id, reason: 'late: fired by the SLA sweep', due_by: dueBefore(r) }],
      });
      return { fired: answer.status === 'FIRED' || answer.status === 'FAILED' ? 1 : 0 };
    },
  };

  const tasks: Job<OverdueTask> = {
    select: (r) => (sql) => overdueTasks(sql, r.organizationId, r.asOf, r.limit, r.after),
    wouldChange(row, r) {
      const levels = Math.max(0, overdueLevel(row.due_at, Date.parse(r.asOf)) - row.overdue_level);
      return { tasks_escalated: levels > 0 ? 1 : 0, notifications: levels };
    },
    async act(handle, row, r) {
      const answer = await handle.executeUpdate(escalateOverdueTaskUpdate, { args: [{ task_id: row.task_id, as_of: r.asOf, operations_team: operationsTeam }] });
      return { tasks_escalated: answer.escalated_levels.length ? 1 : 0, notifications: answer.notifications };
    },
  };

  const jobs = { sla, timers, tasks } as const;

  return {
    async sweepOrganizations({ filter }: { filter: string[] | null }): Promise<string[]> {
      return sweepOrganizations(db.pool, filter);
    },

    /** One page of one job in one organization. */
    async sweepBatch(request: BatchRequest): Promise<BatchResult> {
      const result: BatchResult = { selected: 0, changed: {}, skipped: {}, errors: 0, next: null };
      await runJob(jobs[request.job] as Job<{ instance_id: string }>, request, result);
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
