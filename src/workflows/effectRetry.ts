import { ActivityFailure, ApplicationFailure, proxyActivities, type ActivityInterfaceFor } from '@temporalio/workflow';
import { effectOptions, persistenceOptions, type EffectActivities, type EffectRecordActivities } from './instance/context';
import type { EffectRetry } from './machine';
import type { EffectRetryAnswer, EffectRetryRequest } from './messages';

/**
 * Runs a step's permanently failed effects again (optionally only some codes), each with the definition's retry
 * policy and its original id, so a webhook sees the same Idempotency-Key. Successes leave `effects_failed`.
 */
export async function retryStepEffects(
  acts: { effectRecords: EffectRecordActivities; effects: ActivityInterfaceFor<EffectActivities> },
  organizationId: string,
  request: Pick<EffectRetryRequest, 'step_id' | 'effect_filter'>,
): Promise<EffectRetryAnswer> {
  const { effectRecords: records, effects } = acts;
  const failed = await records.failedEffects({ organizationId, stepId: request.step_id });
  const chosen = request.effect_filter ? failed.filter((f) => request.effect_filter!.includes(f.effect_smart_code)) : failed;
  if (chosen.length === 0) {
    throw ApplicationFailure.create({ type: 'NO_FAILED_EFFECTS', message: 'the step has no failed effects to retry', details: [{ step_id: request.step_id }], nonRetryable: true });
  }
  const successful: string[] = [];
  const stillFailed: string[] = [];
  for (const effect of chosen) {
    await records.reopenEffect({ organizationId, effectId: effect.effect_id });
    try {
      await effects.executeEffect.executeWithOptions({ summary: `retry effect ${effect.effect_smart_code} ${effect.effect_id}` }, [{
        organizationId,
        effectId: effect.effect_id,
        instanceId: effect.instance_id,
        stepId: request.step_id,
        code: effect.effect_smart_code,
        params: effect.params,
        instance: { instance_id: effect.instance_id },
        step: { step_id: request.step_id, retry: true },
      }]);
      await records.clearFailedEffect({ organizationId, stepId: request.step_id, code: effect.effect_smart_code });
      successful.push(effect.effect_smart_code);
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      await records.settleFailedEffect({ organizationId, effectId: effect.effect_id, stepId: request.step_id, code: effect.effect_smart_code });
      stillFailed.push(effect.effect_smart_code);
    }
  }
  return {
    step_id: request.step_id,
    effects_retried: chosen.map((e) => e.effect_smart_code),
    effects_successful: successful,
    effects_still_failed: stillFailed,
    retry_summary: { total_attempted: chosen.length, total_successful: successful.length, total_failed: stillFailed.length },
  };
}

/** Effect retry for an instance whose workflow has finished: a run of its own, one per step at a time. */
export async function effectRetryWorkflow(input: {
  organizationId: string;
  request: Pick<EffectRetryRequest, 'step_id' | 'effect_filter'>;
  retry: EffectRetry;
}): Promise<EffectRetryAnswer> {
  const acts = {
    effectRecords: proxyActivities<EffectRecordActivities>(persistenceOptions),
    effects: proxyActivities<EffectActivities>(effectOptions(input.retry)),
  };
  return retryStepEffects(acts, input.organizationId, input.request);
}
