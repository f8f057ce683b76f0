import { z } from 'zod';
import { instanceSorts, listInstances } from '../../db/queries/instancesList';
import { decodeCursor, pageAnswer, pageInput, queryBoolean, sortInput } from '../pagination';
import { defineProcedure } from '../types';

/** INSTANCES.LIST: the organization's instances, filtered and sorted, keyset-paginated. */
export const instancesList = defineProcedure({
  smartCode: 'HERA.UNIV.WF.INSTANCES.LIST.V1',
  input: z.strictObject({
    definition_code: z.string().min(1).optional(),
    current_state: z.string().min(1).optional(),
    owner_team: z.string().min(1).optional(),
    owner_user_id: z.guid().optional(),
    paused: queryBoolean.optional(),
    overdue: queryBoolean.optional(),
    created_after: z.iso.datetime({ offset: true }).optional(),
    created_before: z.iso.datetime({ offset: true }).optional(),
    has_failed_effects: queryBoolean.optional(),
    /** At least this SLA escalation level: 1 breached, 2 two hours past, 3 six hours past. */
    sla_level_min: z.coerce.number().int().min(0).max(3).optional(),
    updated_after: z.iso.datetime({ offset: true }).optional(),
    updated_before: z.iso.datetime({ offset: true }).optional(),
    ...sortInput(instanceSorts),
    ...pageInput,
  }),
  async handle(input, { caller, services }) {
    const org = caller.organizationId;
    const sort = `${input.sort_by}:${input.sort_order}`;
    const after = decodeCursor(input.cursor, sort, 'timestamp');
    const page = await services.db.withOrg(org, (sql) =>
      listInstances(
        sql,
        org,
        {
          definitionCode: input.definition_code,
          currentState: input.current_state,
          ownerTeam: input.owner_team,
          ownerUserId: input.owner_user_id,
          paused: input.paused,
          overdueAt: input.overdue ? new Date().toISOString() : undefined,
          createdAfter: input.created_after,
          createdBefore: input.created_before,
          hasFailedEffects: input.has_failed_effects,
          slaLevelMin: input.sla_level_min || undefined,
          updatedAfter: input.updated_after,
          updatedBefore: input.updated_before,
        },
        { by: input.sort_by, order: input.sort_order },
        input.limit,
        after,
      ),
    );
    return {
      ...pageAnswer('instances', page, input.limit, sort),
      filters_applied: Object.fromEntries(Object.entries(input).filter(([k, v]) => v !== undefined && !['limit', 'cursor'].includes(k))),
    };
  },
});
