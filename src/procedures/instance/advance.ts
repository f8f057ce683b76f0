import { z } from 'zod';
import { findStepByKey } from '../../db/queries/instanceGet';
import { actorOf } from '../../domain/actor';
import { Refusal } from '../../errors';
import { callerKey } from '../idempotency';
import { advanceUpdate } from '../../workflows/messages';
import { defineProcedure } from '../types';
import { sendInstanceUpdate } from '../../temporal/instanceUpdate';
import { awaitInstanceUpdate, keyedUpdateId } from './send';

/**
 * ADVANCE: one transition, decided by the instance workflow (transition exists, `by` role, guards in order)
 * and answered after its step is persisted. A repeated Idempotency-Key answers the first result.
 */
export const advance = defineProcedure({
  smartCode: 'HERA.UNIV.WF.ADVANCE.V1',
  input: z.strictObject({
    instance_id: z.guid(),
    to_state: z.string().min(1),
    actor_role: z.string().min(1).optional(),
    payload: z.record(z.string(), z.unknown()).default({}),
    idempotency_key: z.string().min(1).max(200).optional(),
  }),
  async handle(input, { caller, services, correlationId, idempotencyKey, requestHash, markReplayed }) {
    const org = caller.organizationId;
    const given = idempotencyKey ?? input.idempotency_key ?? null;
    const key = given === null ? null : callerKey(caller, given);
    const updateId = keyedUpdateId(advanceUpdate, { caller, idempotencyKey: given });
    if (key) {
      const prior = await services.db.withOrg(org, (sql) => findStepByKey(sql, org, key));
      if (prior) {
        if (prior.request_hash !== requestHash) {
          throw new Refusal('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another request');
        }
        // The step is committed before the workflow moves on: answer once the workflow has, so the caller's next
        // command finds the instance where this answer says it is.
        await awaitInstanceUpdate(services, org, input.instance_id, updateId!);
        markReplayed();
        return prior.response;
      }
    }
    const reply = await sendInstanceUpdate(
      services,
      org,
      input.instance_id,
      advanceUpdate,
      {
        to_state: input.to_state,
        actor_role: input.actor_role,
        payload: input.payload,
        actor: actorOf(caller),
        idempotency_key: key,
        request_hash: requestHash,
        correlation_id: correlationId,
      },
      updateId,
    );
    if (reply.replayed) markReplayed();
    return reply.answer;
  },
});
