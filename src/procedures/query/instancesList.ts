import { z } from 'zod';
import { instanceSorts, listInstances } from '../../db/queries/instancesList';
import { decodeCursor, pageAnswer, pageInput, sortInput } from '../pagination';
import { defineProcedure } from '../types';
import { instanceFilterFields, toInstanceFilter } from './instanceFilter';

/** INSTANCES.LIST: the organization's instances, filtered and sorted, keyset-paginated. */
export const instancesList = defineProcedure({
  smartCode: 'HERA.UNIV.WF.INSTANCES.LIST.V1',
  input: z.strictObject({
    ...instanceFilterFields,
    ...sortInput(instanceSorts),
    ...pageInput,
  }),
  async handle(input, { caller, services }) {
    const org = caller.organizationId;
    const sort = `${input.sort_by}:${input.sort_order}`;
    const after = decodeCursor(input.cursor, sort, 'timestamp');
    const page = await services.db.withOrg(org, (sql) =>
      listInstances(sql, org, toInstanceFilter(input, new Date()), { by: input.sort_by, order: input.sort_order }, input.limit, after),
    );
    return {
      ...pageAnswer('instances', page, input.limit, sort),
      filters_applied: Object.fromEntries(Object.entries(input).filter(([k, v]) => v !== undefined && !['limit', 'cursor'].includes(k))),
    };
  },
});
