import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { systemActor, type Actor } from '../../domain/actor';
import type { TaskRecord } from '../../domain/task';
import type { TimerRecord } from '../../domain/timer';
import { chooseTransition, maxPendingTimers, maxTimerDelayMs, priorityRank, timerDelayMs, type TransitionChoice } from '../machine';
import type {
  AdvanceReply,
  AdvanceRequest,
  MigrateRequest,
  MigrationPlan,
  MoveRequest,
  ReassignCommand,
  SlaCheckRequest,
  SlaRecalcRequest,
  TaskCreateRequest,
  TaskCommand,
  TaskEscalateRequest,
  TaskReassignRequest,
  TimerCancelRequest,
  TimerCommand,
  TimerSetRequest,
} from '../messages';
import { overdueLevel, slaDecision } from '../sla';
import type { InstanceContext } from './context';
import type { InstanceState } from './state';

/*
 * Every precondition of the instance's commands, written once: each Update's validator calls its check (so a
 * refusal leaves no trace in history) and its handler calls it again first (the state may have moved since).
 * All are pure and synchronous; directory lookups are the handlers' own.
 */

/** A refusal the caller sees as its HERA error code (non-retryable: an ordinary Error would fail the task). */
export function refuse(code: string, message: string, details: Record<string, unknown> = {}): never {
  throw ApplicationFailure.create({ type: code, message, details: [details], nonRetryable: true });
}

/** The refusal inside `error`: a check's, or an activity's whose change the database refused for good. */
export function refusalOf(error: unknown): ApplicationFailure | undefined {
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.nonRetryable) return error.cause;
  return undefined;
}

/** A running instance: a cancelled one is finished (INSTANCE_FINISHED), one in a terminal state finalized. */
export function requireActive(state: InstanceState): void {
  if (state.snapshot.status === 'cancelled') {
    refuse('INSTANCE_FINISHED', 'the instance was cancelled', { status: 'cancelled', current_state: state.snapshot.current_state });
  }
  if (!state.active) {
    refuse('INSTANCE_FINALIZED', `the instance is in its terminal state ${state.snapshot.current_state}`, { current_state: state.snapshot.current_state });
  }
}

/** While paused nothing moves: no transition (admins included), no timer fire, no new effect. */
export function requireRunning(state: InstanceState): void {
  if (state.paused) {
    refuse('INSTANCE_PAUSED', 'the instance is paused', { paused_at: state.snapshot.paused_at ?? null, pause_reason: state.pause.reason });
  }
}

export function createdCheck({ input }: InstanceContext, requestHash: string): void {
  if (requestHash !== input.requestHash) refuse('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key started an instance with another request');
}

/** An advance is a replay (answered as before), or a transition the actor may take now. */
export function advanceCheck({ definition, state }: InstanceContext, request: AdvanceRequest): { replay: AdvanceReply } | { choice: Extract<TransitionChoice, { ok: true }> } {
  if (request.idempotency_key) {
    const prior = state.answers.get(request.idempotency_key);
    if (prior && prior.requestHash !== request.request_hash) refuse('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another request');
    if (prior) return { replay: { answer: prior.answer, replayed: true } };
  }
  requireActive(state);
  requireRunning(state);
  const choice = chooseTransition(definition, state.snapshot.current_state, request.to_state, request.actor.roles, request.actor_role);
  requireTransition(choice);
  return { choice };
}

// ---- timers ----------------------------------------------------------------------------------------

export function findTimer(state: InstanceState, timerId: string): TimerRecord {
  const timer = state.timers.get(timerId);
  if (!timer) refuse('TIMER_NOT_FOUND', 'no such timer on this instance', { timer_id: timerId });
  return timer;
}

export function requirePending(timer: TimerRecord): void {
  if (timer.status !== 'PENDING') refuse('TIMER_ALREADY_FIRED', `the timer is ${timer.status}`, { timer_id: timer.timer_id, status: timer.status });
}

/**
 * A new timer: a sane delay, room for it, (when named) a name no pending timer has and, under the setter rule,
 * an `advance_to` the setter could take now (its fire acts with the setter's roles). Answers the delay.
 */
export function setTimerCheck({ definition, state }: InstanceContext, request: TimerSetRequest, setterRule = true): number {
  requireActive(state);
  const advanceTo = (request.on_fire as TimerAction).advance_to;
  if (setterRule && advanceTo !== undefined) requireTransition(chooseTransition(definition, state.snapshot.current_state, advanceTo, request.actor.roles));
  const delay = delayOf(request);
  if (!(delay > 0) || delay > maxTimerDelayMs) refuse('INVALID_DURATION', 'the delay must be positive and at most 30 days', { delay_ms: delay });
  const pending = state.pendingTimers().length;
  if (pending >= maxPendingTimers) refuse('TOO_MANY_TIMERS', `at most ${maxPendingTimers} pending timers per instance`, { current_count: pending });
  if (request.name !== undefined) requireUniqueTimerName(state, request.name);
  return delay;
}

/** A validator must refuse, never throw: a duration the API let through but the timer cannot read is refused. */
function delayOf(request: TimerSetRequest): number {
  try {
    return timerDelayMs(request);
  } catch (error) {
    refuse('INVALID_DURATION', (error as Error).message);
  }
}

export function requireUniqueTimerName(state: InstanceState, name: string): string {
  if (state.pendingTimers().some((t) => t.name === name)) refuse('DUPLICATE_TIMER_NAME', `a pending timer is already named ${name}`, { name });
  return name;
}

/** The timers a cancel takes: one by id, the PENDING ones of a name, or every PENDING one. */
export function cancelChoice(state: InstanceState, request: TimerCancelRequest): TimerRecord[] {
  if (request.timer_id !== undefined) {
    const timer = findTimer(state, request.timer_id);
    requirePending(timer);
    return [timer];
  }
  if (request.name !== undefined) {
    const named = [...state.timers.values()].filter((t) => t.name === request.name);
    if (named.length === 0) refuse('TIMER_NOT_FOUND', `no timer named ${request.name}`, { name: request.name });
    const chosen = named.filter((t) => t.status === 'PENDING');
    if (chosen.length === 0) refuse('TIMER_ALREADY_FIRED', `the timer ${request.name} is no longer PENDING`, { name: request.name });
    return chosen;
  }
  const chosen = state.pendingTimers();
  if (chosen.length === 0) refuse('NO_PENDING_TIMERS', 'the instance has no pending timers');
  return chosen;
}

/** What a timer does when it fires, any of these in this order. */
export interface TimerAction {
  create_task?: Omit<TaskCreateRequest, 'actor' | 'body'> & { due_in?: string; calendar?: string };
  escalate_tasks?: boolean;
  effect?: string | { code: string; with: Record<string, unknown> };
  advance_to?: string;
}

/**
 * Whose roles a timer's actions act with: an API timer's setter (so a timer reaches no state its setter could
 * not); a definition's own timer, when it comes due, the system; fired early by an operator, the operator.
 */
export function timerActor(timer: TimerRecord, request?: TimerCommand): Actor {
  if (timer.set_by) return timer.set_by;
  return request && request.due_by === undefined ? request.actor : systemActor;
}

/**
 * A fire: a running instance, (for the sweep) a timer still due by its moment, a PENDING one and, under the
 * setter rule, an `advance_to` the acting roles may take (refused here, so the timer stays PENDING).
 */
export function fireCheck({ definition, state }: InstanceContext, request: TimerCommand, setterRule = true): TimerRecord {
  requireActive(state);
  requireRunning(state);
  const timer = findTimer(state, request.timer_id);
  if (request.due_by !== undefined && Date.parse(timer.fire_at) > Date.parse(request.due_by)) {
    refuse('TIMER_NOT_DUE', 'the timer is not due yet', { timer_id: timer.timer_id, fire_at: timer.fire_at });
  }
  requirePending(timer);
  const advanceTo = (timer.on_fire as TimerAction).advance_to;
  if (setterRule && advanceTo !== undefined) {
    const choice = chooseTransition(definition, state.snapshot.current_state, advanceTo, timerActor(timer, request).roles);
    // A transition gone from the current state is the fire's own outcome (the timer FAILS), as it always was.
    if (!choice.ok && choice.code === 'UNAUTHORIZED_ROLE') requireTransition(choice);
  }
  return timer;
}

function requireTransition(choice: TransitionChoice): asserts choice is Extract<TransitionChoice, { ok: true }> {
  if (!choice.ok) refuse(choice.code, choice.message, choice.details);
}

// ---- tasks -----------------------------------------------------------------------------------------

export function findTask(state: InstanceState, taskId: string): TaskRecord {
  const task = state.tasks.get(taskId);
  if (!task) refuse('TASK_NOT_FOUND', 'no such task', { task_id: taskId });
  return task;
}

export function requireOpenTask(task: TaskRecord): void {
  if (task.state === 'COMPLETED') refuse('TASK_COMPLETED', 'the task is completed', { task_id: task.task_id });
  if (task.state === 'CANCELLED') refuse('TASK_CANCELLED', 'the task was cancelled', { task_id: task.task_id });
}

/** A claim: an OPEN task offered to a role the claimant holds. */
export function claimCheck(state: InstanceState, request: TaskCommand): TaskRecord {
  const task = findTask(state, request.task_id);
  if (task.state !== 'OPEN') refuse('TASK_NOT_OPEN', `the task is ${task.state}`, { task_state: task.state });
  if (!task.assignee_role) refuse('TASK_ALREADY_ASSIGNED', 'the task is assigned to a person', { assignee_user_id: task.assignee_user_id });
  if (!request.actor.roles.includes(task.assignee_role) && !request.actor.roles.includes('system')) {
    refuse('UNAUTHORIZED_ROLE', `claiming needs the role ${task.assignee_role}`, { assignee_role: task.assignee_role });
  }
  return task;
}

/** A completion: by the task's assignee (its person, else a holder of its role) or the system. */
export function completeCheck(state: InstanceState, request: TaskCommand): TaskRecord {
  const task = findTask(state, request.task_id);
  requireOpenTask(task);
  const { actor } = request;
  const mayComplete = actor.roles.includes('system') || (task.assignee_user_id ? task.assignee_user_id === actor.userId : actor.roles.includes(task.assignee_role ?? ''));
  if (!mayComplete) refuse('UNAUTHORIZED_ASSIGNEE', 'only the task’s assignee may complete it', { assignee_user_id: task.assignee_user_id, assignee_role: task.assignee_role });
  return task;
}

/** An escalation: of an unfinished task, never lowering its priority. */
export function escalateCheck(task: TaskRecord, request: Pick<TaskEscalateRequest, 'new_priority'>): void {
  requireOpenTask(task);
  if (request.new_priority && priorityRank(request.new_priority) < priorityRank(task.priority)) {
    refuse('INVALID_PRIORITY', `priority only rises: ${task.priority} → ${request.new_priority} is lower`, { current: task.priority });
  }
}

/** The sweep's overdue escalation: a running instance and an unfinished task with a level newly due at `asOfMs`. */
export function overdueCheck(state: InstanceState, taskId: string, asOfMs: number): TaskRecord {
  const task = findTask(state, taskId);
  requireActive(state);
  requireRunning(state);
  requireOpenTask(task);
  if (overdueLevel(task.due_at, asOfMs) <= (task.overdue_level ?? 0)) {
    refuse('NOTHING_DUE', 'no overdue level is newly due for this task', { task_id: task.task_id, overdue_level: task.overdue_level ?? 0 });
  }
  return task;
}

/** A task reassignment: by an admin, the system or its assignee, of an unfinished task, to exactly one assignee. */
export function reassignTaskCheck(state: InstanceState, request: TaskReassignRequest): TaskRecord {
  const task = findTask(state, request.task_id);
  const privileged = hasAnyRole(request.actor, ['admin', 'system']);
  if (!privileged && task.assignee_user_id !== request.actor.userId) {
    refuse('PERMISSION_DENIED', 'only an admin or the task’s assignee may reassign it', { assignee_user_id: task.assignee_user_id });
  }
  requireOpenTask(task);
  if ((request.assignee_role === undefined) === (request.assignee_user_id === undefined)) refuse('INVALID_ASSIGNEE', 'give exactly one of assignee_role or assignee_user_id');
  return task;
}

const hasAnyRole = (actor: Actor, roles: string[]) => roles.some((r) => actor.roles.includes(r));

// ---- operator commands -----------------------------------------------------------------------------

export function pauseCheck(state: InstanceState): void {
  requireActive(state);
  if (state.paused) refuse('INSTANCE_ALREADY_PAUSED', 'the instance is already paused', { paused_at: state.snapshot.paused_at ?? null });
}

export function resumeCheck(state: InstanceState): void {
  requireActive(state);
  if (!state.paused) refuse('INSTANCE_NOT_PAUSED', 'the instance is not paused');
}

export function reassignCheck(state: InstanceState, command: ReassignCommand): void {
  requireActive(state);
  if ((command.owner_team === undefined) === (command.owner_user_id === undefined)) refuse('INVALID_OWNER_ASSIGNMENT', 'give exactly one of owner_team or owner_user_id');
}

/** A recalculation needs SLA hours: the override, else the definition's. Answers them. */
export function slaRecalcCheck({ definition, state }: InstanceContext, request: SlaRecalcRequest): number {
  requireActive(state);
  const hours = request.sla_override_hours ?? definition.sla_hours;
  if (hours === undefined) refuse('NO_SLA_RULES', `${definition.code} has no SLA and no override was given`);
  return hours;
}

/** The sweep's SLA check: a running instance with a level newly due at `as_of`. */
export function slaCheck(state: InstanceState, request: SlaCheckRequest): void {
  requireActive(state);
  requireRunning(state);
  if (!slaDecision(state.slaClock(), Date.parse(request.as_of)).changed) {
    const { sla_at, sla_warning_level, sla_escalation_level } = state.snapshot;
    refuse('NOTHING_DUE', 'no SLA level is newly due', { sla_at, sla_warning_level: sla_warning_level ?? 0, sla_escalation_level: sla_escalation_level ?? 0 });
  }
}

// ---- modification: cancel, move, migrate -------------------------------------------------------------

/** A cancel ends a running instance, paused or not. */
export function cancelCheck(state: InstanceState): void {
  requireActive(state);
}

/** A move: of a running instance (paused too: it stays paused), to another state of its definition. */
export function moveCheck({ definition, state }: InstanceContext, request: MoveRequest): void {
  requireActive(state);
  if (!definition.states.includes(request.to_state)) {
    refuse('INVALID_STATE', `to_state: ${request.to_state} is not a state of ${definition.code} v${definition.version}`, { field: 'to_state', to_state: request.to_state, states: definition.states });
  }
  const current = state.snapshot.current_state;
  if (request.to_state === current) refuse('ALREADY_IN_STATE', `the instance is already in ${current}`, { field: 'to_state', current_state: current });
}

/**
 * What re-pinning the instance to `request.definition` would do. The current state maps by `state_map`, else by
 * name, to a non-terminal state of the target; a pending timer or open task the current state's definition
 * created is kept when the target defines it (same name or title) on the mapped state, else cancelled; timers
 * set through the API and tasks not from the definition are kept.
 */
export function migrationPlan({ definition, state }: InstanceContext, request: MigrateRequest): MigrationPlan {
  const target = request.definition;
  const from = state.snapshot.current_state;
  const to = request.state_map?.[from] ?? from;
  const problems: MigrationPlan['problems'] = [];
  if (target.code !== definition.code) problems.push({ code: 'DEFINITION_MISMATCH', message: `the target is ${target.code}, the instance follows ${definition.code}` });
  if (target.version === definition.version) problems.push({ code: 'SAME_VERSION', message: `the instance already follows version ${definition.version}` });
  for (const [source, mapped] of Object.entries(request.state_map ?? {})) {
    if (!definition.states.includes(source)) problems.push({ code: 'UNKNOWN_SOURCE_STATE', message: `state_map: ${source} is not a state of version ${definition.version}` });
    if (!target.states.includes(mapped)) problems.push({ code: 'UNKNOWN_TARGET_STATE', message: `state_map: ${mapped} is not a state of version ${target.version}` });
  }
  if (!target.states.includes(to)) problems.push({ code: 'STATE_NOT_IN_TARGET', message: `the current state ${from} maps to ${to}, which version ${target.version} does not have; map it with state_map` });
  else if (target.terminal_states.includes(to)) problems.push({ code: 'TARGET_STATE_TERMINAL', message: `${to} is terminal in version ${target.version}: move the instance there instead` });
  const ownTimer = (name: string) => definition.timers.some((t) => t.on_enter === from && t.name === name);
  const ownTask = (title: string) => definition.tasks.some((t) => t.on_enter === from && t.title === title);
  const item = (fromDefinition: boolean, inTarget: boolean) =>
    !fromDefinition ? ({ action: 'keep', reason: 'NOT_FROM_DEFINITION' } as const) : inTarget ? ({ action: 'keep', reason: 'DEFINED_IN_TARGET' } as const) : ({ action: 'cancel', reason: 'NOT_IN_TARGET' } as const);
  const timers = state.pendingTimers().map((t) => ({
    timer_id: t.timer_id,
    name: t.name,
    ...item(t.source === 'definition' && ownTimer(t.name), target.timers.some((d) => d.on_enter === to && d.name === t.name)),
  }));
  const tasks = state.openTasks().map((t) => ({
    task_id: t.task_id,
    title: t.title,
    ...item(ownTask(t.title), target.tasks.some((d) => d.on_enter === to && d.title === t.title)),
  }));
  return { valid: problems.length === 0, from_version: definition.version, to_version: target.version, from_state: from, to_state: to, timers, tasks, problems };
}

/** A migration of a running instance (paused too: it stays paused); only a dry run answers an invalid plan. */
export function migrateCheck(ctx: InstanceContext, request: MigrateRequest): MigrationPlan {
  requireActive(ctx.state);
  const plan = migrationPlan(ctx, request);
  if (!plan.valid && !request.dry_run) {
    refuse('MIGRATION_INVALID', `the migration to version ${plan.to_version} is invalid: ${plan.problems.map((p) => p.message).join('; ')}`, { problems: plan.problems, plan });
  }
  return plan;
}
