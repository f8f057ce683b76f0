import { ApplicationFailure } from '@temporalio/workflow';
import { systemActor, type Actor } from '../../domain/actor';
import type { NewNotification } from '../../domain/notification';
import type { TaskRecord } from '../../domain/task';
import { iso, nextRoleUp, priorities, priorityRank } from '../machine';
import type {
  OverdueTaskAnswer,
  OverdueTaskRequest,
  TaskAnswer,
  TaskCommand,
  TaskCompleteRequest,
  TaskCreateRequest,
  TaskEscalateRequest,
  TaskReassignRequest,
} from '../messages';
import { nextOverdueCheck, overdueLevel, overdueTaskTiersMs, taskOverdueNotice } from '../sla';
import { claimCheck, completeCheck, escalateCheck, findTask, overdueCheck, reassignTaskCheck, refusalOf, refuse, requireActive } from './checks';
import type { InstanceContext } from './context';
import { requireInDirectory } from './directory';
import { recordNote } from './notes';
import { newTask, type NewTask } from './records';
import { advance } from './transitions';

const saveTask = ({ acts, organizationId }: InstanceContext, task: TaskRecord, actor: Actor, notifications?: NewNotification[]) =>
  acts.tasks.saveTasks({ organizationId, created: [], updated: [task], actorUserId: actor.userId, ...(notifications ? { notifications } : {}) });

/** Records a new task of the instance (from the API, or a timer's `create_task`). */
export async function addTask(ctx: InstanceContext, request: NewTask, actor: Actor): Promise<TaskRecord> {
  const task = newTask(ctx.state.snapshot.instance_id, request, Date.now());
  await ctx.acts.tasks.saveTasks({ organizationId: ctx.organizationId, created: [task], updated: [], actorUserId: actor.userId });
  ctx.state.addTasks([task]);
  return task;
}

export async function createTask(ctx: InstanceContext, request: TaskCreateRequest): Promise<TaskAnswer> {
  requireActive(ctx.state);
  const { actor, ...fields } = request;
  return { task: await addTask(ctx, fields, actor) };
}

export async function claimTask(ctx: InstanceContext, request: TaskCommand): Promise<TaskAnswer> {
  const task = claimCheck(ctx.state, request);
  Object.assign(task, { state: 'CLAIMED', assignee_user_id: request.actor.userId, claimed_at: iso(Date.now()) });
  await saveTask(ctx, task, request.actor);
  return { task };
}

/** Completes the task and, when asked, advances the instance; a refused advance is a warning, not a failure. */
export async function completeTask(ctx: InstanceContext, request: TaskCompleteRequest): Promise<TaskAnswer> {
  const task = completeCheck(ctx.state, request);
  const { actor } = request;
  Object.assign(task, { state: 'COMPLETED', outcome: request.outcome, notes: request.notes ?? null, completed_at: iso(Date.now()), completed_by: actor.userId });
  await saveTask(ctx, task, actor);
  if (!request.advance_workflow) return { task };
  try {
    await advance(ctx, { to_state: request.advance_workflow.to_state, payload: request.advance_workflow.payload, actor, idempotency_key: null, request_hash: `task:${task.task_id}`, correlation_id: null });
    return { task, workflow_advanced: true };
  } catch (error) {
    const refusal = refusalOf(error);
    if (!refusal) throw error;
    return { task, workflow_advanced: false, warning: { code: refusal.type ?? 'WORKFLOW_ADVANCE_FAILED', message: refusal.message } };
  }
}

/** Moves the task one step up the hierarchy (or to the named assignee) and raises its priority; the caller saves it. */
async function escalate(ctx: InstanceContext, task: TaskRecord, request: Omit<TaskEscalateRequest, 'task_id'>): Promise<void> {
  escalateCheck(task, request);
  let toUser = request.escalate_to_user_id ?? null;
  let toRole = request.escalate_to_role ?? null;
  if (!toUser && !toRole) {
    const manager = task.assignee_user_id ? await ctx.acts.directory.managerOf({ organizationId: ctx.organizationId, userId: task.assignee_user_id }) : null;
    if (manager) toUser = manager;
    else toRole = nextRoleUp(task.assignee_role ?? '') ?? null;
  }
  if (!toUser && !toRole) refuse('NO_ESCALATION_TARGET', 'nobody is above the current assignee', { assignee_role: task.assignee_role });
  const at = iso(Date.now());
  const raised = request.new_priority ?? priorities[Math.min(priorityRank(task.priority) + 1, priorities.length - 1)];
  task.escalation_history = [
    ...task.escalation_history,
    { at, from_role: task.assignee_role, from_user_id: task.assignee_user_id, to_role: toRole, to_user_id: toUser, reason: request.reason ?? null, by: request.actor.userId },
  ];
  Object.assign(task, {
    assignee_role: toRole,
    assignee_user_id: toUser,
    state: 'OPEN',
    claimed_at: null,
    priority: priorityRank(raised) > priorityRank(task.priority) ? raised : task.priority,
    escalation_count: task.escalation_count + 1,
    escalated_at: at,
  });
}

export async function escalateTask(ctx: InstanceContext, request: TaskEscalateRequest): Promise<TaskAnswer> {
  const task = findTask(ctx.state, request.task_id);
  await escalate(ctx, task, request);
  await saveTask(ctx, task, request.actor);
  return { task };
}

/** A timer's `escalate_tasks`: every unfinished task one step up, as the system. Answers their ids. */
export async function escalateOpenTasks(ctx: InstanceContext, reason: string, actor: Actor): Promise<string[]> {
  const escalated: string[] = [];
  for (const task of ctx.state.openTasks()) {
    await escalate(ctx, task, { actor, reason });
    await saveTask(ctx, task, actor);
    escalated.push(task.task_id);
  }
  return escalated;
}

/** One escalation up the hierarchy per overdue level newly reached, each announced once (level 2 to operations). */
export async function escalateOverdueTask(ctx: InstanceContext, request: OverdueTaskRequest): Promise<OverdueTaskAnswer> {
  const asOfMs = Date.parse(request.as_of);
  const task = overdueCheck(ctx.state, request.task_id, asOfMs);
  const target = overdueLevel(task.due_at, asOfMs);
  const escalated: number[] = [];
  const notices: NewNotification[] = [];
  for (let level = (task.overdue_level ?? 0) + 1; level <= target; level += 1) {
    try {
      await escalate(ctx, task, { actor: systemActor, reason: `overdue by ${overdueTaskTiersMs[level - 1] / 3_600_000} h` });
    } catch (error) {
      // At the top of the hierarchy the task stays where it is; the level is still recorded and announced.
      if (!(error instanceof ApplicationFailure) || error.type !== 'NO_ESCALATION_TARGET') throw error;
    }
    task.overdue_level = level;
    escalated.push(level);
    const assignee = task.assignee_user_id ? { user_id: task.assignee_user_id } : { role: task.assignee_role };
    const subject = { task_id: task.task_id, instance_id: task.instance_id, title: task.title, due_at: task.due_at!, assignee: task.assignee_user_id ?? task.assignee_role ?? 'nobody' };
    notices.push(taskOverdueNotice(subject, level, level === 1 ? assignee : { team: request.operations_team }, asOfMs));
  }
  task.overdue_check_at = nextOverdueCheck(task.due_at, task.overdue_level ?? 0);
  await saveTask(ctx, task, systemActor, notices);
  return { task, escalated_levels: escalated, notifications: notices.length };
}

/** Gives the task to another role or person of the directory, back to OPEN; recorded as a step note. */
export async function reassignTask(ctx: InstanceContext, request: TaskReassignRequest): Promise<TaskAnswer> {
  const task = reassignTaskCheck(ctx.state, request);
  await requireInDirectory(ctx, 'role', request.assignee_role, 'assignee_role');
  await requireInDirectory(ctx, 'userId', request.assignee_user_id, 'assignee_user_id');
  const previous = { assignee_role: task.assignee_role, assignee_user_id: task.assignee_user_id, state: task.state };
  Object.assign(task, {
    assignee_role: request.assignee_role ?? null,
    assignee_user_id: request.assignee_user_id ?? null,
    state: 'OPEN',
    claimed_at: null,
    reassigned_at: iso(Date.now()),
    reassigned_by: request.actor.userId,
  });
  await recordNote(
    ctx,
    'TASK_REASSIGN',
    { actor: request.actor, reason: request.reason },
    { task_id: task.task_id, previous, assignee_role: task.assignee_role, assignee_user_id: task.assignee_user_id },
    {},
    { tasksUpdated: [task], procedure: 'HERA.UNIV.WF.TASK.REASSIGN.V1' },
  );
  return { task };
}
