import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { actorOf } from '../../domain/actor';
import { Refusal } from '../../errors';
import { rethrowRefusal } from '../../temporal/commands';
import { bulkCancelUpdate, bulkWorkflowId } from '../../workflows/bulkContract';
import { defineProcedure } from '../types';
import { jobWithErrors, requireBulkJob } from './jobAnswer';

/**
 * BULK.CANCEL: stops a queued or running job between instances. Items not sent stay pending; answered once the
 * job is recorded as cancelled, with its counts.
 */
export const bulkCancel = defineProcedure({
  smartCode: 'HERA.UNIV.WF.BULK.CANCEL.V1',
  input: z.strictObject({ job_id: z.guid(), reason: z.string().trim().min(1).max(1000).optional() }),
  async handle({ job_id }, { caller, services }) {
    const org = caller.organizationId;
    const job = await services.db.withOrg(org, (sql) => requireBulkJob(sql, org, job_id));
    if (job.status !== 'queued' && job.status !== 'running') {
      throw new Refusal('BULK_JOB_FINISHED', `the job is ${job.status}`, { job_id, status: job.status });
    }
    try {
      await services.temporal.workflow.getHandle(bulkWorkflowId(org, job_id)).executeUpdate(bulkCancelUpdate, { args: [actorOf(caller)] });
    } catch (error) {
      // Ended meanwhile: the answer is how it ended.
      if (!(error instanceof WorkflowNotFoundError)) rethrowRefusal(error);
    }
    return services.db.withOrg(org, (sql) => jobWithErrors(sql, org, job_id));
  },
});
