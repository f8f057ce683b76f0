import { defineSignal, defineUpdate } from '@temporalio/workflow';
import type { InstanceFilter } from '../db/queries/instancesList';
import type { Actor } from '../domain/actor';

/*
 * The bulk job's contract, shared by its workflow, its activities and its procedures: a leaf module, so none of
 * them imports another's implementation.
 */

/** One bulk workflow per job; the id names the organization so ids never collide across orgs. */
export const bulkWorkflowId = (organizationId: string, jobId: string) => `hera-bulk/${organizationId}/${jobId}`;

/** What a job selects, frozen into its items once at start: a filter, a list of ids, or another job's failed items. */
export type BulkSelection = { filter: InstanceFilter } | { instance_ids: string[] } | { failed_of: string };

export type BulkStatus = 'queued' | 'running' | 'completed' | 'cancelled' | 'failed';

/** The job as it was asked: written once as the job's record, before its selection is frozen. */
export interface BulkJobRequest {
  organizationId: string;
  jobId: string;
  operation: string;
  params: Record<string, unknown>;
  selection: BulkSelection;
  maxInstances: number | null;
  reason: string;
  actor: Actor;
  /** Digest of the POST, so a replayed Idempotency-Key with another body can be told apart. */
  requestHash: string;
  retryOf: string | null;
}

export interface BulkInput extends BulkJobRequest {
  /** Items per batch activity (HERA_BULK_BATCH_SIZE). */
  batchSize: number;
  /** Continue as new beyond this many history events (default: when Temporal suggests it, or 10,000). */
  historyLimit?: number;
  /** Set when the job continues as new: how far it got. */
  progress?: BulkProgress;
}

export interface BulkProgress {
  matched: number;
  /** The job holds its organization's turn (it was running when the run ended). */
  running: boolean;
  /** The line number up to which items have been attempted. */
  afterLine: number;
  counts: BulkCounts;
}

/** How far a job is: `matched` = done + skipped + failed + not attempted (pending). */
export interface BulkCounts {
  matched: number;
  done: number;
  skipped: Record<string, number>;
  failed: Record<string, number>;
}

export interface BulkAccepted {
  job_id: string;
  matched: number;
}

export interface BatchRequest {
  organizationId: string;
  jobId: string;
  operation: string;
  params: Record<string, unknown>;
  actor: Actor;
  reason: string;
  afterLine: number;
  limit: number;
}

export interface BatchResult {
  /** Items attempted in this batch (fewer than taken when the job was cancelled under it). */
  attempted: number;
  /** The last line number taken; the next batch starts after it. */
  lastLine: number;
  /** No pending item was left after this batch's items. */
  exhausted: boolean;
  counts: BulkCounts;
}

export interface FinishResult {
  counts: BulkCounts;
  /** The organization's next queued job, to be told it is its turn. */
  nextJobId: string | null;
}

/** Answers once the job's selection is frozen, with its count; a repeated POST (same Idempotency-Key) joins here. */
export const bulkAcceptedUpdate = defineUpdate<BulkAccepted, [string]>('accepted');
/** Stops the job between instances; answered once the job is recorded as cancelled (or had already ended). */
export const bulkCancelUpdate = defineUpdate<{ job_id: string; status: BulkStatus }, [Actor]>('cancel');
/** A job that finished tells its organization's next queued job its turn has come. */
export const bulkTurnSignal = defineSignal('turn');

/** Items with an outcome so far. */
export const attempted = (c: BulkCounts) =>
  c.done + Object.values(c.skipped).reduce((a, b) => a + b, 0) + Object.values(c.failed).reduce((a, b) => a + b, 0);
