import { uuid4 } from '@temporalio/workflow';
import type { TaskRecord } from '../../domain/task';
import type { TimerRecord } from '../../domain/timer';
import type { PinnedDefinition } from '../../definitions/schema';
import { defaultTaskSlaMs, iso, isTerminal, slaDeadline, timerDelayMs } from '../machine';
import type { InstanceInput, InstanceSnapshot, TaskCreateRequest } from '../messages';
import { nextOverdueCheck } from '../sla';

/** The records an instance creates: its header, timers and tasks (ids from the workflow's deterministic `uuid4`). */

export type NewTask = Omit<TaskCreateRequest, 'actor'>;

export function newTimer(instanceId: string, fields: Pick<TimerRecord, 'name' | 'fire_at' | 'on_fire' | 'source' | 'on_enter'>, nowMs: number): TimerRecord {
  return { timer_id: uuid4(), instance_id: instanceId, ...fields, status: 'PENDING', set_at: iso(nowMs) };
}

export function newTask(instanceId: string, request: NewTask, nowMs: number): TaskRecord {
  const dueMs = request.due_at ? Date.parse(request.due_at) : undefined;
  const dueAt = dueMs !== undefined ? iso(dueMs) : null;
  return {
    task_id: uuid4(),
    instance_id: instanceId,
    title: request.title,
    body: request.body,
    state: 'OPEN',
    assignee_role: request.assignee_role ?? null,
    assignee_user_id: request.assignee_user_id ?? null,
    priority: request.priority,
    due_at: dueAt,
    sla_at: iso(dueMs ?? nowMs + defaultTaskSlaMs),
    created_at: iso(nowMs),
    claimed_at: null,
    completed_at: null,
    completed_by: null,
    outcome: null,
    notes: null,
    escalation_count: 0,
    escalated_at: null,
    escalation_history: [],
    overdue_level: 0,
    overdue_check_at: nextOverdueCheck(dueAt, 0),
  };
}

/** Open tasks closed by an operator's cancel, move or migration: CANCELLED, no longer due for overdue checks. */
export const cancelledTasks = (tasks: TaskRecord[], at: string): TaskRecord[] => tasks.map((t) => ({ ...t, state: 'CANCELLED', cancelled_at: at, overdue_check_at: null }));

/** A due time `due_in` (an ISO-8601 duration) from now, as definitions and timer actions give it. */
export const dueIn = (due_in: string | undefined, nowMs: number) => (due_in ? iso(nowMs + timerDelayMs({ duration: due_in })) : undefined);

/** What a state sets up when entered. */
export interface Entered {
  timersSet: TimerRecord[];
  tasksCreated: TaskRecord[];
}

/** A transition as the instance records it: the state entered, when, and the timers of the state left. */
export interface StateEntry extends Entered {
  to: string;
  status: InstanceSnapshot['status'];
  at: string;
  nowMs: number;
  cancelled: TimerRecord[];
}

/** What entering `entered` sets up: the definition's timers for that state, then its tasks. */
export function onEnter(definition: PinnedDefinition, instanceId: string, entered: string, nowMs: number): Entered {
  const timersSet = definition.timers
    .filter((t) => t.on_enter === entered)
    .map((t) => newTimer(instanceId, { name: t.name, fire_at: iso(nowMs + timerDelayMs(t)), on_fire: t.on_fire, source: 'definition', on_enter: entered }, nowMs));
  const tasksCreated = definition.tasks
    .filter((t) => t.on_enter === entered)
    .map((t) =>
      newTask(instanceId, { title: t.title, body: '', assignee_role: t.assignee_role, assignee_user_id: t.assignee_user_id, due_at: dueIn(t.due_in, nowMs), priority: t.priority }, nowMs),
    );
  return { timersSet, tasksCreated };
}

/** The header of a new instance in `state`, owned by whoever started it. */
export function newSnapshot(input: InstanceInput, state: string, startedMs: number): InstanceSnapshot {
  const { definition } = input;
  return {
    instance_id: input.instanceId,
    organization_id: input.organizationId,
    definition_code: definition.code,
    definition_version: definition.version,
    current_state: state,
    subject_ref: input.subjectRef,
    context: input.context,
    status: isTerminal(definition, state) ? 'completed' : 'active',
    paused: false,
    paused_at: null,
    pause_reason: null,
    paused_by: null,
    owner_team: null,
    owner_user_id: input.actor.userId,
    sla_at: slaDeadline(definition, startedMs),
    sla_warning_level: 0,
    sla_escalation_level: 0,
    sla_escalated_at: null,
    created_at: iso(startedMs),
    updated_at: iso(startedMs),
  };
}
