import { z } from 'zod';
import { listBulkItems, listBulkJobs } from '../../db/queries/bulk';
import { decodeCursor, pageAnswer, pageInput } from '../pagination';
import { defineProcedure } from '../types';
import { jobAnswer, jobWithErrors, requireBulkJob } from './jobAnswer';
import { bulkOperationNames } from './operations';

const statuses = ['queued', 'running', 'completed', 'cancelled', 'failed'] as const;

/** BULK.LIST: the organization's bulk jobs, newest first. */
export const bulkList = defineProcedure({
  smartCode: 'HERA.UNIV.WF.BULK.LIST.V1',
  input: z.strictObject({ status: z.enum(statuses).optional(), operation: z.enum(bulkOperationNames).optional(), ...pageInput }),
  async handle(input, { caller, services }) {
    const org = caller.organizationId;
    const after = decodeCursor(input.cursor, 'created_at:desc', 'timestamp');
    const page = await services.db.withOrg(org, (sql) => listBulkJobs(sql, org, { status: input.status, operation: input.operation }, input.limit, after));
    return pageAnswer('jobs', { rows: page.rows.map((job) => jobAnswer(job)), next: page.next }, input.limit, 'created_at:desc');
  },
});

/** BULK.GET: a job's status, counts by outcome and code, and its first 100 failed items. */
export const bulkGet = defineProcedure({
  smartCode: 'HERA.UNIV.WF.BULK.GET.V1',
  input: z.strictObject({ job_id: z.guid() }),
  handle: ({ job_id }, { caller, services }) => services.db.withOrg(caller.organizationId, (sql) => jobWithErrors(sql, caller.organizationId, job_id)),
});

/** BULK.ITEMS: a job's items (instance, outcome, code, message) in selection order, optionally of one outcome. */
export const bulkItems = defineProcedure({
  smartCode: 'HERA.UNIV.WF.BULK.ITEMS.V1',
  input: z.strictObject({ job_id: z.guid(), outcome: z.enum(['pending', 'done', 'skipped', 'failed']).optional(), ...pageInput }),
  async handle(input, { caller, services }) {
    const org = caller.organizationId;
    const after = decodeCursor(input.cursor, 'line_number:asc', 'integer');
    const page = await services.db.withOrg(org, async (sql) => {
      await requireBulkJob(sql, org, input.job_id);
      return listBulkItems(sql, org, input.job_id, input.outcome, input.limit, after);
    });
    return pageAnswer('items', page, input.limit, 'line_number:asc');
  },
});
