import { ActivityFailure, log, makeContinueAsNewFunc, proxyActivities, uuid4, workflowInfo } from '@temporalio/workflow';
import type { HeraActivities } from '../activities';
import { addCounts, type BatchResult, type SweepInput, type SweepJob, type SweepProgress, type SweepReport } from './sweepContract';

/** A run continues as new past this many history events by default (each batch adds about six). */
const defaultHistoryLimit = 10_000;

/** Batch sizes of background §5 (instances 100, timers 500, tasks 200). */
const jobs: Array<{ job: SweepJob; batch: number }> = [
  { job: 'sla', batch: 100 },
  { job: 'timers', batch: 500 },
  { job: 'tasks', batch: 200 },
];

const { sweepOrganizations, recordSweepRun } = proxyActivities<Pick<HeraActivities, 'sweepOrganizations' | 'recordSweepRun'>>({
  startToCloseTimeout: '1m',
  retry: { maximumAttempts: 5 },
});
const { sweepBatch } = proxyActivities<Pick<HeraActivities, 'sweepBatch'>>({
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
      // Temporal does not carry a memo over: the next run keeps the request's (an Idempotency-Key's replay reads it).
      return makeContinueAsNewFunc<typeof sweepWorkflow>({ memo: workflowInfo().memo })({ ...input, progress });
    }
    let result: BatchResult;
    try {
      // The instance budget caps the SLA batch itself, so a run looks at exactly `max_instances_per_run`.
      const budget = job === 'sla' && input.max_instances_per_run !== undefined ? input.max_instances_per_run - progress.instancesSeen : batch;
      const summary = `sweep ${job} · organization ${position.organizationId}${dryRun ? ' (dry run)' : ''}`;
      const request = { job, organizationId: position.organizationId, asOf: progress.asOf, dryRun, limit: Math.min(batch, budget), after: position.after };
      result = await sweepBatch.executeWithOptions({ summary }, [request]);
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      // The organization's job is retried by the next run; the others go on.
      log.error('sweep batch failed', { job, organizationId: position.organizationId, error: String(error.cause?.message ?? error.message) });
      progress.errors += 1;
      nextJob();
      continue;
    }
    addCounts(totals, { [`${job}_processed`]: result.selected, ...result.changed });
    addCounts(skipped, result.skipped);
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
