import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { findInstanceAnswer } from '../../db/queries/instanceGet';
import { Refusal } from '../../errors';
import { rethrowRefusal } from '../../temporal/commands';
import { instanceWorkflowId } from '../../temporal/ids';
import { callerKey } from '../idempotency';
import type { ProcedureContext, Services } from '../types';

/**
 * The Update id of a command sent with an Idempotency-Key (the caller's): Temporal answers a repeat of that Update
 * with its first outcome, also after the instance finished. None without a key.
 */
export function keyedUpdateId(update: { name: string }, { caller, idempotencyKey }: Pick<ProcedureContext, 'caller' | 'idempotencyKey'>): string | undefined {
  return idempotencyKey ? `${update.name}:${callerKey(caller, idempotencyKey)}` : undefined;
}

/**
 * Waits until the instance's workflow has finished the Update `updateId` when its current run holds it (a
 * repeat of a command whose change is already committed may reach the workflow before it has moved on); returns
 * at once when the Update finished in an earlier run or the workflow is gone. A wait past the command's deadline
 * is a 503, so the client retries rather than acting on a state the workflow does not have yet.
 */
export async function awaitInstanceUpdate(services: Services, organizationId: string, instanceId: string, updateId: string): Promise<void> {
  const handle = services.temporal.workflow.getHandle(instanceWorkflowId(organizationId, instanceId));
  try {
    await handle.getUpdateHandle(updateId).result();
  } catch (error) {
    // NOT_FOUND: no such Update in the current run, or no workflow; either way it moved on long ago.
    if (error instanceof WorkflowNotFoundError || error instanceof WorkflowUpdateFailedError) return;
    throw error;
  }
}

/**
 * Sends an Update to an instance's workflow and answers its result. The workflow's refusals come back as
 * HERA refusals; a workflow that is gone is INSTANCE_FINISHED if its record says it was cancelled,
 * INSTANCE_FINALIZED if it finished in a terminal state, else
 * INSTANCE_NOT_FOUND (also for another organization's instance: the workflow id names the caller's org).
 */
export async function sendInstanceUpdate<Ret, Arg>(
  services: Services,
  organizationId: string,
  instanceId: string,
  update: UpdateDefinition<Ret, [Arg]>,
  arg: Arg,
  updateId?: string,
): Promise<Ret> {
  const handle = services.temporal.workflow.getHandle(instanceWorkflowId(organizationId, instanceId));
  try {
    return await handle.executeUpdate(update, { args: [arg], ...(updateId ? { updateId } : {}) });
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) rethrowRefusal(error);
    const instance = await services.db.withOrg(organizationId, (sql) => findInstanceAnswer(sql, organizationId, instanceId));
    if (instance?.status === 'cancelled') {
      throw new Refusal('INSTANCE_FINISHED', 'the instance was cancelled', { status: 'cancelled', current_state: instance.current_state });
    }
    if (instance?.status === 'completed') {
      throw new Refusal('INSTANCE_FINALIZED', `the instance is in its terminal state ${instance.current_state}`, {
        current_state: instance.current_state,
      });
    }
    throw new Refusal('INSTANCE_NOT_FOUND', 'no such instance', { instance_id: instanceId });
  }
}
