import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { actorOf } from '../../domain/actor';
import { Refusal } from '../../errors';
import { uuidFromKey } from '../idempotency';
import { defineProcedure } from '../types';
import { requireBulkJob } from './jobAnswer';
import { startBulkJob } from './startJob';

/** BULK.RETRY_FAILED: a new job, same operation and params, over just the failed items of a finished job. */
export const bulkRetryFailed = defineProcedure({
  smartCode: 'HERA.UNIV.WF.BULK.RETRY_FAILED.V1',
  input: z.strictObject({ job_id: z.guid(), reason: z.string().trim().min(1).max(1000).optional() }),
  async handle({ job_id, reason }, ctx) {
    const { caller, services, idempotencyKey, requestHash } = ctx;
    const org = caller.organizationId;
    const job = await services.db.withOrg(org, (sql) => requireBulkJob(sql, org, job_id));
    if (job.status === 'queued' || job.status === 'running') {
      throw new Refusal('BULK_JOB_NOT_FINISHED', 'retry the failed items once the job has ended', { job_id, status: job.status });
    }
    if (Object.values(job.failed).every((n) => n === 0)) throw new Refusal('NO_FAILED_ITEMS', 'the job has no failed items', { job_id });
    return startBulkJob(
      {
        organizationId: org,
        jobId: idempotencyKey ? uuidFromKey(caller, 'BULK.RETRY_FAILED', idempotencyKey) : randomUUID(),
        operation: job.operation,
        params: job.params,
        selection: { failed_of: job_id },
        maxInstances: null,
        reason: reason ?? `retry of the failed items of ${job_id}: ${job.reason}`,
        actor: actorOf(caller),
        requestHash,
        retryOf: job_id,
      },
      ctx,
    );
  },
});
