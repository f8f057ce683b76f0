import {
  ActivityCancellationType,
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { HeraActivities } from '../../activities';
import {
  bulkAcceptedUpdate,
  bulkCancelUpdate,
  bulkTurnSignal,
  bulkWorkflowId,
  type BatchResult,
  type BulkCounts,
  type BulkInput,
  type BulkProgress,
  type BulkStatus,
} from '../bulkContract';
import { bulkDetails } from './details';

/** A run continues as new past this many history events by default (each batch adds about six). */
const defaultHistoryLimit = 10_000;
/** A queued job looks again this often, in case the signal of the job before it was lost. */
const queuePoll = '30s';

const { snapshotBulkJob } = proxyActivities<Pick<HeraActivities, 'snapshotBulkJob'>>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 10 },
});
const { claimBulkTurn, finishBulkJob } = proxyActivities<Pick<HeraActivities, 'claimBulkTurn' | 'finishBulkJob'>>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});
const { runBulkBatch } = proxyActivities<Pick<HeraActivities, 'runBulkBatch'>>({
  startToCloseTimeout: '15m',
  heartbeatTimeout: '10s',
  // A cancelled batch records what it attempted before the job ends.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 20 },
});

/**
 * One bulk job: freezes its selection into items (answering the `accepted` Update with the count), waits for its
 * organization's turn (one running job per organization, FIFO), then runs the items in batches until none is
 * pending or it is cancelled, and hands the turn to the organization's next queued job.
 */
export async function bulkWorkflow(input: BulkInput): Promise<{ job_id: string; status: BulkStatus; counts: BulkCounts | null }> {
  const { organizationId, jobId, operation } = input;
  let matched: number | null = input.progress?.matched ?? null;
  let counts: BulkCounts | null = input.progress?.counts ?? null;
  let snapshotFailure: string | null = null;
  let cancelRequested = false;
  let turnSignalled = false;
  let batchScope: CancellationScope | null = null;
  let ended: BulkStatus | null = null;
  const show = (status: BulkStatus) => setCurrentDetails(bulkDetails(operation, status, counts));

  setHandler(bulkAcceptedUpdate, async (requestHash) => {
    if (requestHash !== input.requestHash) {
      throw ApplicationFailure.create({ type: 'IDEMPOTENCY_KEY_REUSED', message: 'this Idempotency-Key started a bulk job with another request', nonRetryable: true });
    }
    await condition(() => matched !== null || snapshotFailure !== null);
    if (matched === null) throw ApplicationFailure.create({ type: 'BULK_SELECTION_FAILED', message: `the selection could not be frozen: ${snapshotFailure}`, nonRetryable: true });
    return { job_id: jobId, matched };
  });
  setHandler(bulkTurnSignal, () => {
    turnSignalled = true;
  });
  setHandler(bulkCancelUpdate, async () => {
    cancelRequested = true;
    batchScope?.cancel();
    await condition(() => ended !== null);
    return { job_id: jobId, status: ended! };
  });

  const finish = async (status: BulkStatus) => {
    const finished = await finishBulkJob({ organizationId, jobId, status, actorId: input.actor.userId });
    counts = finished.counts;
    ended = status;
    show(status);
    if (finished.nextJobId && finished.nextJobId !== jobId) {
      try {
        await getExternalWorkflowHandle(bulkWorkflowId(organizationId, finished.nextJobId)).signal(bulkTurnSignal);
      } catch (error) {
        // Gone or not yet started: the queued job's own poll finds its turn.
        log.warn('could not signal the next bulk job', { next: finished.nextJobId, error: String(error) });
      }
    }
    await condition(allHandlersFinished);
    return { job_id: jobId, status, counts };
  };

  show('queued');
  if (matched === null) {
    try {
      matched = (await snapshotBulkJob(input)).matched;
      counts = { matched, done: 0, skipped: {}, failed: {} };
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      snapshotFailure = error.cause?.message ?? error.message;
      return finish('failed');
    }
  }

  const historyLimit = input.historyLimit ?? defaultHistoryLimit;
  const historyTooLong = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > historyLimit;
  /** Past the history limit, the job goes on in a new run with its progress, unless a cancel arrives first. */
  const continueIfLong = async (progress: Omit<BulkProgress, 'matched' | 'counts'>) => {
    if (!historyTooLong()) return;
    await condition(() => allHandlersFinished() || cancelRequested);
    if (cancelRequested) return;
    await continueAsNew<typeof bulkWorkflow>({ ...input, progress: { ...progress, matched: matched!, counts: counts ?? { matched: matched!, done: 0, skipped: {}, failed: {} } } });
  };

  let running = input.progress?.running ?? false;
  while (!running && !cancelRequested) {
    await continueIfLong({ running, afterLine: 0 });
    if (cancelRequested) break;
    const status = await claimBulkTurn({ organizationId, jobId });
    if (status !== 'queued') {
      running = status === 'running';
      if (!running) return finish(status);
      break;
    }
    turnSignalled = false;
    await condition(() => turnSignalled || cancelRequested, queuePoll);
  }

  let afterLine = input.progress?.afterLine ?? 0;
  while (!cancelRequested) {
    await continueIfLong({ running, afterLine });
    if (cancelRequested) break;
    show('running');
    let result: BatchResult;
    const scope = new CancellationScope();
    batchScope = scope;
    try {
      result = await scope.run(() =>
        runBulkBatch.executeWithOptions({ summary: `bulk ${operation} · items after ${afterLine}` }, [
          { organizationId, jobId, operation, params: input.params, actor: input.actor, reason: input.reason, afterLine, limit: input.batchSize },
        ]),
      );
    } catch (error) {
      if (isCancellation(error)) break;
      if (!(error instanceof ActivityFailure)) throw error;
      log.error('bulk batch failed for good', { jobId, error: String(error.cause?.message ?? error.message) });
      return finish('failed');
    } finally {
      batchScope = null;
    }
    counts = result.counts;
    afterLine = result.lastLine;
    if (result.exhausted) break;
  }
  return finish(cancelRequested ? 'cancelled' : 'completed');
}
