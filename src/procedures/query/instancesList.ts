import { z } from 'zod';
import { listInstances } from '../../db/queries/instancesList';
import { decodeCursor, encodeCursor, limitSchema } from '../pagination';
import { defineProcedure } from '../types';

const cursorSchema = z.object({ createdAt: z.iso.datetime(), instanceId: z.guid() });

/** INSTANCES.LIST: the organization's instances, newest first, with keyset pagination. */
export const instancesList = defineProcedure({
  smartCode: 'HERA.UNIV.WF.INSTANCES.LIST.V1',
  input: z.strictObject({
    limit: limitSchema,
    cursor: z.string().min(1).optional(),
  }),
  async handle(input, { caller, services }) {
    const after = input.cursor ? decodeCursor(input.cursor, cursorSchema) : null;
    const page = await services.db.withOrg(caller.organizationId, (sql) =>
      listInstances(sql, caller.organizationId, input.limit, after),
    );
    return {
      instances: page.rows,
      pagination: {
        limit: input.limit,
        has_more: page.next !== null,
        next_cursor: page.next ? encodeCursor(page.next) : null,
      },
    };
  },
});
