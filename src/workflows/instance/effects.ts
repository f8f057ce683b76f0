import { ActivityFailure } from '@temporalio/workflow';
import type { InstanceSnapshot } from '../messages';
import type { InstanceContext } from './context';

export interface QueuedEffect {
  effectId: string;
  code: string;
  params: Record<string, unknown>;
}

/** A definition's effect reference, bare or with parameters. */
export const refOf = (ref: string | { code: string; with: Record<string, unknown> }) =>
  typeof ref === 'string' ? { code: ref, params: {} } : { code: ref.code, params: ref.with };

/**
 * Runs one effect with the definition's retry policy, in the background of the step that queued it (the step
 * is answered first); exhausted, it is settled as permanently failed. The instance stays open until it settles.
 */
export async function runEffect(
  { acts, organizationId, state }: InstanceContext,
  effect: QueuedEffect,
  step: Record<string, unknown> & { step_id: string },
  instance: InstanceSnapshot,
): Promise<void> {
  state.pendingEffects += 1;
  try {
    const summary = `effect ${effect.code} ${effect.effectId}`;
    await acts.effects.executeEffect.executeWithOptions({ summary }, [{ ...effect, organizationId, instanceId: instance.instance_id, stepId: step.step_id, instance: { ...instance }, step }]);
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    await acts.effectRecords.settleFailedEffect({ organizationId, effectId: effect.effectId, stepId: step.step_id, code: effect.code });
  } finally {
    state.pendingEffects -= 1;
  }
}
