import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { actorOf, type Actor } from '../../domain/actor';
import { sendInstanceUpdate } from '../../temporal/instanceUpdate';
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
 * A caller's command to one of its organization's instances: the Update carries the caller as `actor`, and its id
 * the caller's Idempotency-Key (see `keyedUpdateId`).
 */
export function sendCommand<Ret, Arg extends { actor: Actor }>(
  ctx: ProcedureContext,
  instanceId: string,
  update: UpdateDefinition<Ret, [Arg]>,
  command: Omit<Arg, 'actor'>,
): Promise<Ret> {
  const arg = { ...command, actor: actorOf(ctx.caller) } as Arg;
  return sendInstanceUpdate(ctx.services, ctx.caller.organizationId, instanceId, update, arg, keyedUpdateId(update, ctx));
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
