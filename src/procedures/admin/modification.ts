import { z } from 'zod';
import { pinWorkCalendars, workCalendarFields } from '../../calendars/pin';
import { findInstanceAnswer } from '../../db/queries/instanceGet';
import type { PinnedDefinition } from '../../definitions/schema';
import { Refusal } from '../../errors';
import { cancelUpdate, migrateUpdate, moveUpdate, type PinnedCalendars } from '../../workflows/messages';
import { resolveDefinitionVersion } from '../definitions/resolve';
import { sendCommand } from '../instance/send';
import { defineProcedure, type Services } from '../types';

const reason = z.string().trim().min(1).max(1000);
const stateName = z.string().min(1).max(200);

/** The commands' inputs, exported so a bulk job validates its `params` with the same schema (less instance_id). */
export const cancelInput = z.strictObject({ instance_id: z.guid(), reason });
export const moveInput = z.strictObject({ instance_id: z.guid(), to_state: stateName, reason });
export const migrateInput = z.strictObject({
  instance_id: z.guid(),
  to_version: z.number().int().positive(),
  state_map: z.record(stateName, stateName).optional(),
  dry_run: z.boolean().optional(),
  reason: reason.optional(),
});

/** INSTANCE.CANCEL: ends the instance (status cancelled); its pending timers and open tasks are cancelled. */
export const instanceCancel = defineProcedure({
  smartCode: 'HERA.UNIV.WF.INSTANCE.CANCEL.V1',
  input: cancelInput,
  handle: ({ instance_id, reason }, ctx) =>
    sendCommand(ctx, instance_id, cancelUpdate, { reason }),
});

/** INSTANCE.MOVE: jumps to any state of the definition; no guard or effect runs. */
export const instanceMove = defineProcedure({
  smartCode: 'HERA.UNIV.WF.INSTANCE.MOVE.V1',
  input: moveInput,
  handle: ({ instance_id, ...command }, ctx) =>
    sendCommand(ctx, instance_id, moveUpdate, command),
});

/**
 * The version `toVersion` of the instance's definition code, pinned by value for its migrate Update (one place
 * for every sender of that Update). Refused: no such instance (404), no such version (400 naming `to_version`).
 */
export async function migrationTarget(
  services: Pick<Services, 'db' | 'definitions'>,
  organizationId: string,
  instanceId: string,
  toVersion: number,
): Promise<{ definition: PinnedDefinition; calendars?: PinnedCalendars }> {
  const instance = await services.db.withOrg(organizationId, (sql) => findInstanceAnswer(sql, organizationId, instanceId));
  if (!instance) throw new Refusal('INSTANCE_NOT_FOUND', 'no such instance', { instance_id: instanceId });
  const definition = await resolveDefinitionVersion(services, organizationId, instance.definition_code, toVersion);
  if (!definition) {
    throw new Refusal('UNKNOWN_VERSION', `to_version: ${instance.definition_code} has no registered version ${toVersion}`, { field: 'to_version', to_version: toVersion });
  }
  // The target's task and timer calendars at their current versions; the instance keeps the versions it pinned.
  if (!workCalendarFields(definition).size) return { definition };
  const calendars = await services.db.withOrg(organizationId, (sql) => pinWorkCalendars(sql, organizationId, definition, Date.now()));
  return { definition, calendars };
}

/** INSTANCE.MIGRATE: re-pins the instance to another registered version of its definition (the workflow plans and applies it). */
export const instanceMigrate = defineProcedure({
  smartCode: 'HERA.UNIV.WF.INSTANCE.MIGRATE.V1',
  input: migrateInput,
  async handle({ instance_id, to_version, state_map, dry_run, reason }, ctx) {
    const org = ctx.caller.organizationId;
    const target = await migrationTarget(ctx.services, org, instance_id, to_version);
    return sendCommand(ctx, instance_id, migrateUpdate, { reason, to_version, state_map, dry_run, ...target });
  },
});
