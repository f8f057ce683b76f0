import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Db } from '../db/pool';
import { systemActorId } from '../db/queries/codes';
import { addFailedEffect, insertNotification, updateEffect } from '../db/queries/effects';
import { effectCodes, notifyParams, webhookParams } from '../definitions/registry';
import { logger } from '../logger';

export interface EffectRun {
  organizationId: string;
  effectId: string;
  instanceId: string;
  stepId: string;
  code: string;
  params: Record<string, unknown>;
  /** What a webhook receives: the instance and the step that queued the effect. */
  instance: Record<string, unknown>;
  step: Record<string, unknown>;
}

async function postWebhook(run: EffectRun): Promise<void> {
  const params = webhookParams.parse(run.params);
  const response = await fetch(params.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': run.effectId },
    body: JSON.stringify({ effect_id: run.effectId, instance: run.instance, step: run.step }),
    signal: AbortSignal.timeout(params.timeout_ms),
  });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`webhook ${params.url} answered ${response.status}`);
}

/** Effect activities: each attempt is recorded on the effect record (PENDING → EXECUTING → COMPLETED / FAILED). */
export function effectActivities(db: Db) {
  const record = (run: EffectRun, status: string, patch: Record<string, unknown>) =>
    db.withOrg(run.organizationId, (sql) => updateEffect(sql, run.organizationId, run.effectId, status, patch, systemActorId));

  return {
    async executeEffect(run: EffectRun): Promise<void> {
      const { attempt } = Context.current().info;
      await record(run, 'EXECUTING', { attempt_count: attempt });
      try {
        switch (run.code) {
          case effectCodes.webhook:
            await postWebhook(run);
            break;
          case effectCodes.notify: {
            const params = notifyParams.parse(run.params);
            await db.withOrg(run.organizationId, (sql) =>
              insertNotification(
                sql,
                run.organizationId,
                {
                  idemKey: `effect:${run.effectId}`,
                  instanceId: run.instanceId,
                  template: params.template,
                  recipient: { role: params.to_role ?? null, user_id: params.to_user_id ?? null },
                  payload: { instance: run.instance, step: run.step },
                },
                systemActorId,
              ),
            );
            break;
          }
          case effectCodes.log:
            logger.info({ effect_id: run.effectId, instance_id: run.instanceId, step: run.step, params: run.params }, 'workflow effect');
            break;
          default:
            throw ApplicationFailure.nonRetryable(`no handler for effect ${run.code}`, 'UNKNOWN_EFFECT');
        }
      } catch (error) {
        await record(run, 'FAILED', { last_error: String((error as Error).message ?? error) });
        throw error;
      }
      await record(run, 'COMPLETED', { completed_at: new Date().toISOString(), last_error: null });
    },

    /** After the last attempt failed: the effect is PERMANENTLY_FAILED and listed in its step's `effects_failed`. */
    async settleFailedEffect(run: Pick<EffectRun, 'organizationId' | 'effectId' | 'stepId' | 'code'>): Promise<void> {
      await db.withOrg(run.organizationId, async (sql) => {
        await updateEffect(sql, run.organizationId, run.effectId, 'PERMANENTLY_FAILED', {}, systemActorId);
        await addFailedEffect(sql, run.organizationId, run.stepId, run.code, systemActorId);
      });
    },
  };
}
