import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Db } from '../db/pool';
import { systemActorId } from '../db/queries/codes';
import { addFailedEffect, insertNotification, updateEffect } from '../db/queries/effects';
import { readWebhookSigning } from '../db/queries/webhookSigning';
import { effectCodes, notifyParams, webhookParams } from '../definitions/registry';
import { logger } from '../logger';
import { deliverWebhook, PermanentWebhookFailure } from '../webhooks/deliver';
import type { EgressPolicy } from '../webhooks/egressPolicy';
import { signatureHeaderName, webhookSignature } from '../webhooks/signature';

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

export interface EffectDeps {
  db: Db;
  /** Which internal addresses webhooks may reach (HERA_WEBHOOK_ALLOW). */
  webhookEgress: EgressPolicy;
}

/** Heartbeats while `work` runs (the SDK throttles what it sends), so the effect's heartbeatTimeout notices a dead worker. */
async function heartbeating<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  const beat = setInterval(() => context.heartbeat(), 1_000);
  try {
    return await work();
  } finally {
    clearInterval(beat);
  }
}

/** Effect activities: each attempt is recorded on the effect record (PENDING → EXECUTING → COMPLETED / FAILED). */
export function effectActivities({ db, webhookEgress }: EffectDeps) {
  /** Signed with the organization's secret; a target the policy refuses or a redirect fails the effect for good. */
  async function postWebhook(run: EffectRun): Promise<void> {
    const params = webhookParams.parse(run.params);
    const { secret } = await db.withOrg(run.organizationId, (sql) => readWebhookSigning(sql, run.organizationId));
    const body = JSON.stringify({ effect_id: run.effectId, instance: run.instance, step: run.step });
    const headers = {
      'content-type': 'application/json',
      'idempotency-key': run.effectId,
      [signatureHeaderName]: webhookSignature(secret, body, Math.floor(Date.now() / 1000)),
    };
    try {
      await deliverWebhook({ url: params.url, body, headers, timeoutMs: params.timeout_ms }, webhookEgress);
    } catch (error) {
      if (error instanceof PermanentWebhookFailure) throw ApplicationFailure.nonRetryable(error.message, 'WEBHOOK_REFUSED');
      throw error;
    }
  }

  const record = (run: EffectRun, status: string, patch: Record<string, unknown>) =>
    db.withOrg(run.organizationId, (sql) => updateEffect(sql, run.organizationId, run.effectId, status, patch, systemActorId));

  /** One attempt, recorded on the effect record. */
  async function attempt(run: EffectRun): Promise<void> {
    await record(run, 'EXECUTING', { attempt_count: Context.current().info.attempt });
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
  }

  return {
    executeEffect: (run: EffectRun): Promise<void> => heartbeating(() => attempt(run)),

    /** After the last attempt failed: the effect is PERMANENTLY_FAILED and listed in its step's `effects_failed`. */
    async settleFailedEffect(run: Pick<EffectRun, 'organizationId' | 'effectId' | 'stepId' | 'code'>): Promise<void> {
      await db.withOrg(run.organizationId, async (sql) => {
        await updateEffect(sql, run.organizationId, run.effectId, 'PERMANENTLY_FAILED', {}, systemActorId);
        await addFailedEffect(sql, run.organizationId, run.stepId, run.code, systemActorId);
      });
    },
  };
}
