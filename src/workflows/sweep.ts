import { ActivityFailure, continueAsNew, log, proxyActivities, uuid4, workflowInfo } from '@temporalio/workflow';
import type { HeraActivities } from '../activities';
import type { BatchRequest, BatchResult, SweepJob } from '../activities/sweep';

export interface SweepInput {
  trigger: 'schedule' | 'api';
  /** Count what would change and change nothing. */
  dry_run?: boolean;
  /** Only these organizations (an API run always names its caller's); absent = every organization. */
  organization_filter?: string[] | null;
  /** Evaluate as if it were this moment (ISO-8601); absent = the run's own time. */
  as_of?: string;
  /** Stop looking at instances' SLAs past this many in one run (the next run goes on). */
  max_instances_per_run?: number;
  /** Continue as new past this many history events (default 10,000). */
  history_limit?: number;
  /** Set when a long run continues as new: where it was and what it counted. */
  progress?: SweepProgress;
}

export interface SweepProgress {
  startedMs: number;
  asOf: string;
  organizationsSwept: number;
  remaining: string[];
  /** The organization in hand, the index of its job in `jobs`, and where that job's next batch starts. */
  position: { organizationId: string; job: number; after: BatchRequest['after'] } | null;
  totals: Record<string, number>;
  skipped: Record<string, number>;
  errors: number;
  instancesSeen: number;
}

/** A run continues as new past this many history events by default (each batch adds about six). */
const defaultHistoryLimit = 10_000;

/** The run's answer and record (background §5 names, plus the breakdown an operator needs). */
export interface SweepReport {
  scheduler_run_id: string;
  workflow_id: string;
  trigger: SweepInput['trigger'];
  dry_run: boolean;
  as_of: string;
  organizations_swept: number;
  instances_processed: number;
  instances_warned: number;
  instances_escalated: number;
  timers_processed: number;
  timers_fired: number;
  tasks_processed: number;
  tasks_escalated: number;
  notifications_sent: number;
  /** Items left alone and why (NOTHING_DUE when another run got there first, INSTANCE_PAUSED, …). */
  skipped: Record<string, number>;
  errors: number;
  started_at: string;
  run_duration_ms: number;
}

/** Batch sizes of background §5 (instances 100, timers 500, tasks 200). */
const jobs: Array<{ job: SweepJob; batch: number }> = [
  { job: 'sla', batch: 100 },
  { job: 'timers', batch: 500 },
  { job: 'tasks', batch: 200 },
];

const { sweepOrganizations, recordSweepRun } = proxyActivities<HeraActivities>({
  startToCloseTimeout: '1m',
  retry: { maximumAttempts: 5 },
});
const { sweepBatch } = proxyActivities<HeraActivities>({
  startToCloseTimeout: '5m',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '2s', maximumAttempts: 3 },
});

/** The first run of a sweep: its moment and the organizations to visit. */
async function begin(input: SweepInput): Promise<SweepProgress> {
  const startedMs = Date.now();
  const remaining = await sweepOrganizations({ filter: input.organization_filter ?? null });
  return {
    startedMs,
    asOf: input.as_of ?? new Date(startedMs).toISOString(),
    organizationsSwept: remaining.length,
    remaining,
    position: null,
    totals: {},
    skipped: {},
    errors: 0,
    instancesSeen: 0,
  };
}

function add(into: Record<string, number>, from: Record<string, number>): void {
  for (const [key, n] of Object.entries(from)) into[key] = (into[key] ?? 0) + n;
}

/**
 * One SLA sweep: for each organization in turn, (1) SLA warnings and breach escalations, (2) late timers,
 * (3) overdue tasks, each in batches; then (4) the run's record. Every change is made by the instance's own
 * workflow, which re-decides it, so a repeated or concurrent run changes nothing twice.
 */
export async function sweepWorkflow(input: SweepInput): Promise<SweepReport> {
  const dryRun = input.dry_run ?? false;
  const progress: SweepProgress = input.progress ?? (await begin(input));
  const { totals, skipped } = progress;
  const instanceBudgetLeft = () => input.max_instances_per_run === undefined || progress.instancesSeen < input.max_instances_per_run;
  for (;;) {
    if (!progress.position) {
      const organizationId = progress.remaining.shift();
      if (organizationId === undefined) break;
      progress.position = { organizationId, job: 0, after: null };
    }
    const position = progress.position;
    const nextJob = () => Object.assign(position, { job: position.job + 1, after: null });
    if (position.job >= jobs.length) {
      progress.position = null;
      continue;
    }
    const { job, batch } = jobs[position.job];
    if (job === 'sla' && !instanceBudgetLeft()) {
      nextJob();
      continue;
    }
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > (input.history_limit ?? defaultHistoryLimit)) {
      return continueAsNew<typeof sweepWorkflow>({ ...input, progress });
    }
    let result: BatchResult;
    try {
      result = await sweepBatch({ job, organizationId: position.organizationId, asOf: progress.asOf, dryRun, limit: batch, after: position.after });
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      // The organization's job is retried by the next run; the others go on.
      log.error('sweep batch failed', { job, organizationId: position.organizationId, error: String(error.cause?.message ?? error.message) });
      progress.errors += 1;
      nextJob();
      continue;
    }
    add(totals, { [`${job}_processed`]: result.selected, ...result.changed });
    add(skipped, result.skipped);
    progress.errors += result.errors;
    if (job === 'sla') progress.instancesSeen += result.selected;
    if (result.next && (job !== 'sla' || instanceBudgetLeft())) position.after = result.next;
    else nextJob();
  }
  const { startedMs, asOf, errors } = progress;
  const report: SweepReport = {
    scheduler_run_id: uuid4(),
    workflow_id: workflowInfo().workflowId,
    trigger: input.trigger,
    dry_run: dryRun,
    as_of: asOf,
    organizations_swept: progress.organizationsSwept,
    instances_processed: totals.sla_processed ?? 0,
    instances_warned: totals.warned ?? 0,
    instances_escalated: totals.escalated ?? 0,
    timers_processed: totals.timers_processed ?? 0,
    timers_fired: totals.fired ?? 0,
    tasks_processed: totals.tasks_processed ?? 0,
    tasks_escalated: totals.tasks_escalated ?? 0,
    notifications_sent: totals.notifications ?? 0,
    skipped,
    errors,
    started_at: new Date(startedMs).toISOString(),
    run_duration_ms: Date.now() - startedMs,
  };
  if (!dryRun) await recordSweepRun({ report, organizationFilter: input.organization_filter ?? null });
  return report;
}
