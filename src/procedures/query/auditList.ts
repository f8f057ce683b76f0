import { z } from 'zod';
import { listAuditEvents } from '../../db/queries/audit';
import { decodeCursor, pageAnswer, pageInput } from '../pagination';
import { defineProcedure } from '../types';

/** The organization's audit events, newest first; filter by instance, procedure, outcome or bulk job. */
export const auditList = defineProcedure({
  smartCode: 'HERA.UNIV.WF.AUDIT.LIST.V1',
  input: z.strictObject({
    instance_id: z.guid().optional(),
    procedure_code: z.string().min(1).optional(),
    outcome: z.enum(['SUCCESS', 'REFUSED']).optional(),
    bulk_job_id: z.guid().optional(),
    ...pageInput,
  }),
  async handle(input, { caller, services }) {
    const org = caller.organizationId;
    const after = decodeCursor(input.cursor, 'created_at:desc', 'timestamp');
    const page = await services.db.withOrg(org, (sql) =>
      listAuditEvents(sql, org, { instanceId: input.instance_id, procedureCode: input.procedure_code, outcome: input.outcome, bulkJobId: input.bulk_job_id }, input.limit, after),
    );
    return pageAnswer('events', page, input.limit, 'created_at:desc');
  },
});
