import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { findBulkJob } from '../../db/queries/bulk';
import { Refusal } from '../../errors';
import { rethrowRefusal } from '../../temporal/commands';
import type { bulkWorkflow } from '../../workflows/bulk';
import { bulkAcceptedUpdate, bulkWorkflowId, type BulkAccepted, type BulkJobRequest, type BulkSelection } from '../../workflows/bulkContract';
import type { ProcedureContext } from '../types';

/** How the Temporal UI lists the job: operation, what it selects, why. */
function summary(job: BulkJobRequest): string {
  const selection = (s: BulkSelection) =>
    'instance_ids' in s ? `${s.instance_ids.length} instances by id` : 'failed_of' in s ? `failed items of job ${s.failed_of}` : 'instances by filter';
  const reason = job.reason.length > 80 ? `${job.reason.slice(0, 80)}…` : job.reason;
  return `bulk ${job.operation} · ${selection(job.selection)} · ${reason}`;
}

/**
 * Starts the job's workflow and answers once it has frozen its selection: `{job_id, matched}` with the frozen
 * count. The same job id (an Idempotency-Key's) joins the job already there, running or finished.
 */
export async function startBulkJob(job: BulkJobRequest, { services, markReplayed }: Pick<ProcedureContext, 'services' | 'markReplayed'>): Promise<BulkAccepted> {
  const { organizationId: org, jobId } = job;
  const existing = await services.db.withOrg(org, (sql) => findBulkJob(sql, org, jobId));
  if (existing && existing.request_hash !== job.requestHash) {
    throw new Refusal('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key started a bulk job with another request', { job_id: jobId });
  }
  if (existing?.matched != null) {
    markReplayed();
    return { job_id: jobId, matched: existing.matched };
  }
  try {
    const accepted = await services.temporal.workflow.executeUpdateWithStart(bulkAcceptedUpdate, {
      args: [job.requestHash],
      startWorkflowOperation: new WithStartWorkflowOperation<typeof bulkWorkflow>('bulkWorkflow', {
        workflowId: bulkWorkflowId(org, jobId),
        taskQueue: services.config.HERA_TASK_QUEUE,
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        args: [{ ...job, batchSize: services.config.HERA_BULK_BATCH_SIZE, historyLimit: services.config.HERA_HISTORY_LIMIT }],
        staticSummary: summary(job),
        memo: { operation: job.operation, reason: job.reason },
      }),
    });
    if (existing) markReplayed();
    return accepted;
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) rethrowRefusal(error);
    // The job's workflow already ended: answer from its record.
    const ended = await services.db.withOrg(org, (sql) => findBulkJob(sql, org, jobId));
    if (!ended) throw error;
    markReplayed();
    return { job_id: jobId, matched: ended.matched ?? 0 };
  }
}
