import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { findInstanceAnswer, stepExists } from '../../db/queries/instanceGet';
import { actorOf } from '../../domain/actor';
import { Refusal } from '../../errors';
import { rethrowRefusal } from '../../temporal/commands';
import { instanceWorkflowId } from '../../temporal/ids';
import { effectRetry } from '../../workflows/machine';
import { retryEffectsUpdate, type EffectRetryAnswer } from '../../workflows/messages';
import { resolveDefinition } from '../definitions/resolve';
import { defineProcedure } from '../types';

/**
 * EFFECT.RETRY: re-runs a step's permanently failed effects. A running instance does it in its own workflow; a
 * finished one (its workflow closed) in a short workflow of its own, so a retry works after a terminal state.
 */
export const effectRetryProcedure = defineProcedure({
  smartCode: 'HERA.UNIV.WF.EFFECT.RETRY.V1',
  input: z.strictObject({
    instance_id: z.guid(),
    step_id: z.guid(),
    effect_filter: z.array(z.string().min(1)).min(1).optional(),
    force_retry: z.boolean().optional(),
  }),
  async handle({ instance_id, step_id, effect_filter }, { caller, services }) {
    const org = caller.organizationId;
    const found = await services.db.withOrg(org, async (sql) => ({
      instance: await findInstanceAnswer(sql, org, instance_id),
      step: await stepExists(sql, org, instance_id, step_id),
    }));
    if (!found.instance) throw new Refusal('INSTANCE_NOT_FOUND', 'no such instance', { instance_id });
    if (!found.step) throw new Refusal('STEP_NOT_FOUND', 'the instance has no such step', { step_id });
    const request = { actor: actorOf(caller), step_id, effect_filter };
    try {
      return await services.temporal.workflow.getHandle(instanceWorkflowId(org, instance_id)).executeUpdate(retryEffectsUpdate, { args: [request] });
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) rethrowRefusal(error);
    }
    const definition = await resolveDefinition(services, org, found.instance.definition_code);
    try {
      return (await services.temporal.workflow.execute('effectRetryWorkflow', {
        workflowId: `${instanceWorkflowId(org, instance_id)}/effect-retry/${step_id}/${randomUUID()}`,
        taskQueue: services.config.HERA_TASK_QUEUE,
        args: [{ organizationId: org, request, retry: effectRetry(definition ?? {}) }],
      })) as EffectRetryAnswer;
    } catch (error) {
      rethrowRefusal(error);
    }
  },
});
