import { z } from 'zod';
import type { InstanceFilter } from '../../db/queries/instancesList';
import { queryBoolean } from '../pagination';

/** A boolean filter as a query string (`true`/`false`) or as JSON (a bulk job's body). */
const filterBoolean = z.union([z.boolean(), queryBoolean]);

/**
 * The INSTANCES.LIST filters, as INSTANCES.LIST and bulk jobs both take them: one place to add a filter so a
 * bulk job selects exactly what the list shows.
 */
export const instanceFilterFields = {
  definition_code: z.string().min(1).optional(),
  current_state: z.string().min(1).optional(),
  owner_team: z.string().min(1).optional(),
  owner_user_id: z.guid().optional(),
  paused: filterBoolean.optional(),
  overdue: filterBoolean.optional(),
  created_after: z.iso.datetime({ offset: true }).optional(),
  created_before: z.iso.datetime({ offset: true }).optional(),
  has_failed_effects: filterBoolean.optional(),
  /** At least this SLA escalation level: 1 breached, 2 two hours past, 3 six hours past (0: any). */
  sla_level_min: z.coerce.number().int().min(0).max(3).optional(),
  updated_after: z.iso.datetime({ offset: true }).optional(),
  updated_before: z.iso.datetime({ offset: true }).optional(),
};

/** The filter fields alone, unknown fields refused (a bulk job's `filter`). */
export const instanceFilterInput = z.strictObject(instanceFilterFields);

export type InstanceFilterInput = z.output<typeof instanceFilterInput>;

/** The read model's filter for the validated input; `now` is when "overdue" is judged. */
export function toInstanceFilter(input: InstanceFilterInput, now: Date): InstanceFilter {
  return {
    definitionCode: input.definition_code,
    currentState: input.current_state,
    ownerTeam: input.owner_team,
    ownerUserId: input.owner_user_id,
    paused: input.paused,
    overdueAt: input.overdue ? now.toISOString() : undefined,
    createdAfter: input.created_after,
    createdBefore: input.created_before,
    hasFailedEffects: input.has_failed_effects,
    slaLevelMin: input.sla_level_min || undefined,
    updatedAfter: input.updated_after,
    updatedBefore: input.updated_before,
  };
}
