import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { findInstanceAnswer, stepExists } from '../../db/queries/instanceGet';
import { actorOf } from '../../domain/actor';
import { Refusal } from '../../errors';
import { rethrowRefusal } from '../../temporal/commands';
import { instanceWorkflowId } from '../../temporal/ids';
import { effectRetry } from '../../workflows/machine';
import { retryEffectsUpdate, type EffectRetryAnswer, type EffectRetryRequest } from '../../workflows/messages';
import { resolveDefinition } from '../definitions/resolve';
import { defineProcedure, type Services } from '../types';

/** What retrying a step's effects needs: Temporal, the read model and the definitions (for a finished instance). */
export type EffectRetryDeps = Pick<Services, 'db' | 'temporal' | 'definitions' | 'config'>;

/**
 * Re-runs one step's permanently failed effects: in the instance's own workflow while it runs, else (it finished,
 * its workflow closed) in a short workflow of its own. EFFECT.RETRY and bulk retry-effects both retry through it;
 * `retryId` (a bulk job's) names the Update and the short workflow, so a repeat joins the first.
 */
export async function retryInstanceEffects(
  deps: EffectRetryDeps,
  org: string,
  instance: { instance_id: string; definition_code: string },
  request: EffectRetryRequest,
  retryId?: string,
): Promise<EffectRetryAnswer> {
  try {
    return await deps.temporal.workflow
      .getHandle(instanceWorkflowId(org, instance.instance_id))
      .executeUpdate(retryEffectsUpdate, { args: [request], ...(retryId ? { updateId: retryId } : {}) });
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) rethrowRefusal(error);
  }
  const definition = await resolveDefinition(deps, org, instance.definition_code);
  try {
    return (await deps.temporal.workflow.execute('effectRetryWorkflow', {
      workflowId: `${instanceWorkflowId(org, instance.instance_id)}/effect-retry/${request.step_id}/${retryId ?? randomUUID()}`,
      taskQueue: deps.config.HERA_TASK_QUEUE,
      args: [{ organizationId: org, request, retry: effectRetry(definition ?? {}) }],
    })) as EffectRetryAnswer;
  } catch (error) {
    rethrowRefusal(error);
  }
}

export const effectRetryInput = z.strictObject({
  instance_id: z.guid(),
  step_id: z.guid(),
  effect_filter: z.array(z.string().min(1)).min(1).optional(),
  force_retry: z.boolean().optional(),
});

/**
 * EFFECT.RETRY: re-runs a step's permanently failed effects. A running instance does it in its own workflow; a
 * finished one (its workflow closed) in a short workflow of its own, so a retry works after a terminal state.
 */
export const effectRetryProcedure = defineProcedure({
  smartCode: 'HERA.UNIV.WF.EFFECT.RETRY.V1',
  input: effectRetryInput,
  async handle({ instance_id, step_id, effect_filter }, { caller, services }) {
    const org = caller.organizationId;
    const found = await services.db.withOrg(org, async (sql) => ({
      instance: await findInstanceAnswer(sql, org, instance_id),
      step: await stepExists(sql, org, instance_id, step_id),
    }));
    if (!found.instance) throw new Refusal('INSTANCE_NOT_FOUND', 'no such instance', { instance_id });
    if (!found.step) throw new Refusal('STEP_NOT_FOUND', 'the instance has no such step', { step_id });
    return retryInstanceEffects(services, org, found.instance, { actor: actorOf(caller), step_id, effect_filter });
  },
});
