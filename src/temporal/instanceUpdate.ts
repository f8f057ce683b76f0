import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { Db } from '../db/pool';
import { findInstanceAnswer } from '../db/queries/instanceGet';
import { Refusal } from '../errors';
import { rethrowRefusal } from './commands';
import { instanceWorkflowId } from './ids';

/** What sending an instance Update needs: Temporal, and the read model to tell a finished instance from none. */
export interface InstanceUpdateDeps {
  temporal: Client;
  db: Db;
}

/**
 * Sends an Update to an instance's workflow and answers its result; the procedures and bulk jobs both send
 * through it. The workflow's refusals come back as HERA refusals; a workflow that is gone is INSTANCE_FINISHED
 * if its record says it was cancelled, INSTANCE_FINALIZED if it finished in a terminal state, else
 * INSTANCE_NOT_FOUND (also for another organization's instance: the workflow id names the caller's org).
 */
export async function sendInstanceUpdate<Ret, Arg>(
  { temporal, db }: InstanceUpdateDeps,
  organizationId: string,
  instanceId: string,
  update: UpdateDefinition<Ret, [Arg]>,
  arg: Arg,
  updateId?: string,
): Promise<Ret> {
  const handle = temporal.workflow.getHandle(instanceWorkflowId(organizationId, instanceId));
  try {
    return await handle.executeUpdate(update, { args: [arg], ...(updateId ? { updateId } : {}) });
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) rethrowRefusal(error);
    const instance = await db.withOrg(organizationId, (sql) => findInstanceAnswer(sql, organizationId, instanceId));
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
