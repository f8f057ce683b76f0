import type { Sql } from '../../db/pool';
import { bulkErrors, findBulkJob, type BulkJobRow } from '../../db/queries/bulk';
import { Refusal } from '../../errors';
import { attempted } from '../../workflows/bulkContract';

/** Failed items a job's answer lists. */
const errorsShown = 100;

/** A job as the bulk routes answer it; `errors` (its first failed items) only where asked. */
export function jobAnswer(job: BulkJobRow, errors?: Array<{ instance_id: string; code: string | null; message: string | null }>) {
  const matched = job.matched ?? 0;
  const counts = { matched, done: job.done, skipped: job.skipped, failed: job.failed };
  return {
    job_id: job.job_id,
    operation: job.operation,
    status: job.status,
    matched: job.matched,
    done: job.done,
    skipped: job.skipped,
    failed: job.failed,
    not_attempted: matched - attempted(counts),
    ...(errors ? { errors } : {}),
    params: job.params,
    selection: job.selection,
    reason: job.reason,
    max_instances: job.max_instances,
    retry_of: job.retry_of,
    created_by: job.created_by,
    created_at: job.created_at,
    started_at: job.started_at,
    finished_at: job.finished_at,
    workflow_id: job.workflow_id,
  };
}

/** The organization's job, or 404 BULK_JOB_NOT_FOUND (also for another organization's). */
export async function requireBulkJob(sql: Sql, org: string, jobId: string): Promise<BulkJobRow> {
  const job = await findBulkJob(sql, org, jobId);
  if (!job) throw new Refusal('BULK_JOB_NOT_FOUND', 'no such bulk job', { job_id: jobId });
  return job;
}

/** The job with its first failed items, as GET answers it. */
export async function jobWithErrors(sql: Sql, org: string, jobId: string) {
  const job = await requireBulkJob(sql, org, jobId);
  return jobAnswer(job, await bulkErrors(sql, org, jobId, errorsShown));
}
