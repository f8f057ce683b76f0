import { z } from 'zod';
import { actorOf } from '../../domain/actor';
import { Refusal } from '../../errors';
import { definitionCaps } from '../../definitions/caps';
import { checkRefs } from '../../definitions/registry';
import { durationSchema } from '../../definitions/duration';
import { definitionSchema } from '../../definitions/schema';
import { durationMs } from '../../workflows/machine';
import { cancelTimerUpdate, fireTimerUpdate, setTimerUpdate } from '../../workflows/messages';
import { sendInstanceUpdate } from '../../temporal/instanceUpdate';
import { keyedUpdateId } from '../instance/send';
import { defineProcedure } from '../types';

const onFireSchema = z
  .strictObject({
    advance_to: z.string().min(1).optional(),
    escalate_tasks: z.boolean().optional(),
    create_task: z
      .strictObject({
        title: z.string().min(1),
        assignee_role: z.string().min(1).optional(),
        assignee_user_id: z.guid().optional(),
        // Read by the workflow when the timer fires: one it cannot read would fail its task there, forever.
        due_in: durationSchema
          .refine((d) => durationMs(d) <= definitionCaps.durationMs, 'at most one year')
          .optional(),
        priority: z.enum(['low', 'medium', 'high', 'urgent']).default('medium'),
      })
      .optional(),
    effect: z.union([z.string().min(1), z.strictObject({ code: z.string().min(1), with: z.record(z.string(), z.unknown()).default({}) })]).optional(),
  })
  .refine((a) => Object.values(a).some((v) => v !== undefined && v !== false), { message: 'name at least one action' });

/** TIMER.SET: a timer on the instance, `minutes` or a `duration` (PT30S or 30s) from now. */
export const timerSet = defineProcedure({
  smartCode: 'HERA.UNIV.WF.TIMER.SET.V1',
  input: z
    .strictObject({
      instance_id: z.guid(),
      name: z.string().min(1).max(100).optional(),
      minutes: z.number().positive().optional(),
      duration: durationSchema.optional(),
      on_fire: onFireSchema,
    })
    .refine((t) => (t.minutes === undefined) !== (t.duration === undefined), { message: 'give exactly one of minutes or duration', path: ['minutes'] }),
  async handle(input, ctx) {
    const { caller, services } = ctx;
    if (input.on_fire.effect) {
      // The effect must name a registered handler, as in a definition.
      const problems = checkRefs(definitionSchema.parse({ code: 'TIMER', states: ['S'], timers: [{ on_enter: 'S', name: 't', minutes: 1, on_fire: { effect: input.on_fire.effect } }] }));
      if (problems.length) throw new Refusal('INVALID_EFFECT', 'the timer names an unknown or misconfigured effect', { problems });
    }
    const { instance_id, ...timer } = input;
    return sendInstanceUpdate(services, caller.organizationId, instance_id, setTimerUpdate, { actor: actorOf(caller), ...timer }, keyedUpdateId(setTimerUpdate, ctx));
  },
});

/** TIMER.CANCEL: a PENDING timer (by id or by name), or every PENDING timer of the instance, never fires. */
export const timerCancel = defineProcedure({
  smartCode: 'HERA.UNIV.WF.TIMER.CANCEL.V1',
  input: z
    .strictObject({ instance_id: z.guid(), timer_id: z.guid().optional(), name: z.string().min(1).optional(), reason: z.string().max(500).optional() })
    .refine((c) => c.timer_id === undefined || c.name === undefined, { message: 'give timer_id or name, not both', path: ['name'] }),
  async handle({ instance_id, ...command }, ctx) {
    return sendInstanceUpdate(ctx.services, ctx.caller.organizationId, instance_id, cancelTimerUpdate, { actor: actorOf(ctx.caller), ...command }, keyedUpdateId(cancelTimerUpdate, ctx));
  },
});

/** TIMER.FIRE: an operator override that fires a PENDING timer now, at most once. */
export const timerFire = defineProcedure({
  smartCode: 'HERA.UNIV.WF.TIMER.FIRE.V1',
  input: z.strictObject({ instance_id: z.guid(), timer_id: z.guid() }),
  async handle({ instance_id, ...command }, ctx) {
    return sendInstanceUpdate(ctx.services, ctx.caller.organizationId, instance_id, fireTimerUpdate, { actor: actorOf(ctx.caller), ...command }, keyedUpdateId(fireTimerUpdate, ctx));
  },
});
