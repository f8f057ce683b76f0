import { z } from 'zod';
import { pinnedVersions, withWorkingHoursLeft } from '../../calendars/slaWorkingTime';
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
    const now = new Date();
    const page = await services.db.withOrg(org, async (sql) => {
      const listed = await listInstances(sql, org, toInstanceFilter(input, now), { by: input.sort_by, order: input.sort_order }, input.limit, after);
      return { ...listed, rows: await withWorkingHoursLeft(listed.rows, pinnedVersions(sql, org), now.getTime()) };
    });
    return {
      ...pageAnswer('instances', page, input.limit, sort),
      filters_applied: Object.fromEntries(Object.entries(input).filter(([k, v]) => v !== undefined && !['limit', 'cursor'].includes(k))),
    };
  },
});
