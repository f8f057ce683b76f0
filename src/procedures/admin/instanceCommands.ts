import { z } from 'zod';
import { pauseUpdate, reassignUpdate, resumeUpdate, slaRecalcUpdate } from '../../workflows/messages';
import { sendCommand } from '../instance/send';
import { defineProcedure } from '../types';

const reason = z.string().trim().min(1).max(1000).optional();

/** The commands' inputs, exported so a bulk job validates its `params` with the same schema (less instance_id). */
export const pauseInput = z.strictObject({ instance_id: z.guid(), reason });
export const resumeInput = z.strictObject({ instance_id: z.guid(), notes: reason, reason });
export const reassignInput = z.strictObject({
  instance_id: z.guid(),
  owner_team: z.string().min(1).max(64).optional(),
  owner_user_id: z.guid().optional(),
  reason,
});
export const slaRecalcInput = z.strictObject({
  instance_id: z.guid(),
  sla_override_hours: z.number().positive().max(24 * 365).optional(),
  recalc_reason: reason,
});

/** INSTANCE.PAUSE: freezes the instance: no transition, no timer fire, no new effect, the SLA clock stops. */
export const instancePause = defineProcedure({
  smartCode: 'HERA.UNIV.WF.INSTANCE.PAUSE.V1',
  input: pauseInput,
  handle: ({ instance_id, reason }, ctx) =>
    sendCommand(ctx, instance_id, pauseUpdate, { reason }),
});

/** INSTANCE.RESUME: timers keep their remaining time, the SLA moves later by the paused time. */
export const instanceResume = defineProcedure({
  smartCode: 'HERA.UNIV.WF.INSTANCE.RESUME.V1',
  input: resumeInput,
  handle: ({ instance_id, notes, reason }, ctx) =>
    sendCommand(ctx, instance_id, resumeUpdate, { reason: notes ?? reason }),
});

/** INSTANCE.REASSIGN: exactly one of a team or a user of the directory owns the instance. */
export const instanceReassign = defineProcedure({
  smartCode: 'HERA.UNIV.WF.INSTANCE.REASSIGN.V1',
  input: reassignInput,
  handle: ({ instance_id, ...command }, ctx) =>
    sendCommand(ctx, instance_id, reassignUpdate, command),
});

/** INSTANCE.SLA.RECALC: created + SLA hours (override or definition) + the time spent paused. */
export const instanceSlaRecalc = defineProcedure({
  smartCode: 'HERA.UNIV.WF.INSTANCE.SLA.RECALC.V1',
  input: slaRecalcInput,
  handle: ({ instance_id, sla_override_hours, recalc_reason }, ctx) =>
    sendCommand(ctx, instance_id, slaRecalcUpdate, { sla_override_hours, reason: recalc_reason }),
});
