import { z } from 'zod';
import { taskInstance } from '../../db/queries/timersAndTasks';
import { actorOf } from '../../domain/actor';
import { Refusal } from '../../errors';
import {
  claimTaskUpdate,
  completeTaskUpdate,
  createTaskUpdate,
  escalateTaskUpdate,
  reassignTaskUpdate,
  type TaskAnswer,
} from '../../workflows/messages';
import { sendInstanceUpdate } from '../../temporal/instanceUpdate';
import { keyedUpdateId } from '../instance/send';
import { defineProcedure, type ProcedureContext } from '../types';

const priority = z.enum(['low', 'medium', 'high', 'urgent']);

/**
 * Sends a task command to the workflow of the task's instance (found through the read model). With an
 * Idempotency-Key the caller's key names the Update, so a repeat is answered with the first outcome.
 */
async function sendTaskUpdate<Arg extends { task_id: string }>(
  ctx: ProcedureContext,
  update: Parameters<typeof sendInstanceUpdate<TaskAnswer, Arg>>[3],
  arg: Arg,
): Promise<TaskAnswer> {
  const org = ctx.caller.organizationId;
  const instanceId = await ctx.services.db.withOrg(org, (sql) => taskInstance(sql, org, arg.task_id));
  if (!instanceId) throw new Refusal('TASK_NOT_FOUND', 'no such task', { task_id: arg.task_id });
  return sendInstanceUpdate(ctx.services, org, instanceId, update, arg, keyedUpdateId(update, ctx));
}

/** TASK.CREATE: a human task on an instance, for a role or a person. */
export const taskCreate = defineProcedure({
  smartCode: 'HERA.UNIV.WF.TASK.CREATE.V1',
  input: z
    .strictObject({
      instance_id: z.guid(),
      title: z.string().trim().min(1).max(500),
      body: z.string().max(10_000).default(''),
      assignee_role: z.string().min(1).optional(),
      assignee_user_id: z.guid().optional(),
      due_at: z.iso.datetime({ offset: true }).optional(),
      priority: priority.default('medium'),
    })
    .refine((t) => (t.assignee_role === undefined) !== (t.assignee_user_id === undefined), {
      message: 'give exactly one of assignee_role or assignee_user_id',
      path: ['assignee_role'],
    }),
  async handle({ instance_id, ...task }, ctx) {
    if (task.due_at && Date.parse(task.due_at) <= Date.now()) {
      throw new Refusal('INVALID_DUE_DATE', 'due_at is in the past', { due_at: task.due_at });
    }
    const { task: created } = await sendInstanceUpdate(ctx.services, ctx.caller.organizationId, instance_id, createTaskUpdate, { actor: actorOf(ctx.caller), ...task }, keyedUpdateId(createTaskUpdate, ctx));
    return created;
  },
});

/** TASK.CLAIM: a role-assigned OPEN task becomes the caller's; the caller must hold the role. */
export const taskClaim = defineProcedure({
  smartCode: 'HERA.UNIV.WF.TASK.CLAIM.V1',
  input: z.strictObject({ task_id: z.guid() }),
  async handle(input, ctx) {
    const { task } = await sendTaskUpdate(ctx, claimTaskUpdate, { actor: actorOf(ctx.caller), ...input });
    return { task_id: task.task_id, state: task.state, assignee_user_id: task.assignee_user_id, claimed_at: task.claimed_at };
  },
});

/** TASK.COMPLETE: by its assignee, optionally advancing the instance. */
export const taskComplete = defineProcedure({
  smartCode: 'HERA.UNIV.WF.TASK.COMPLETE.V1',
  input: z.strictObject({
    task_id: z.guid(),
    outcome: z.string().min(1).max(200),
    notes: z.string().max(10_000).optional(),
    advance_workflow: z.strictObject({ to_state: z.string().min(1), payload: z.record(z.string(), z.unknown()).default({}) }).optional(),
  }),
  async handle(input, ctx) {
    const { task, workflow_advanced, warning } = await sendTaskUpdate(ctx, completeTaskUpdate, { actor: actorOf(ctx.caller), ...input });
    return {
      task_id: task.task_id,
      state: task.state,
      outcome: task.outcome,
      completed_at: task.completed_at,
      workflow_advanced: workflow_advanced ?? false,
      ...(warning ? { warning } : {}),
    };
  },
});

/** TASK.ESCALATE: up to a named role or person, else the assignee's manager or the next role up. */
export const taskEscalate = defineProcedure({
  smartCode: 'HERA.UNIV.WF.TASK.ESCALATE.V1',
  input: z.strictObject({
    task_id: z.guid(),
    escalate_to_role: z.string().min(1).optional(),
    escalate_to_user_id: z.guid().optional(),
    reason: z.string().max(500).optional(),
    new_priority: priority.optional(),
  }),
  async handle(input, ctx) {
    const { task } = await sendTaskUpdate(ctx, escalateTaskUpdate, { actor: actorOf(ctx.caller), ...input });
    return {
      task_id: task.task_id,
      escalated_to: { role: task.assignee_role, user_id: task.assignee_user_id },
      escalation_count: task.escalation_count,
      new_priority: task.priority,
      escalated_at: task.escalated_at,
    };
  },
});

/** TASK.REASSIGN: to a role or a person of the directory; a claimed task goes back to OPEN. */
export const taskReassign = defineProcedure({
  smartCode: 'HERA.UNIV.WF.TASK.REASSIGN.V1',
  input: z.strictObject({
    task_id: z.guid(),
    assignee_role: z.string().min(1).optional(),
    assignee_user_id: z.guid().optional(),
    reason: z.string().max(1000).optional(),
  }),
  async handle(input, ctx) {
    const { task } = await sendTaskUpdate(ctx, reassignTaskUpdate, { actor: actorOf(ctx.caller), ...input });
    return {
      task_id: task.task_id,
      assignee_role: task.assignee_role,
      assignee_user_id: task.assignee_user_id,
      task_state: task.state,
      reassigned_at: task.reassigned_at,
      reassigned_by: task.reassigned_by,
    };
  },
});
