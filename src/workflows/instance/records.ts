import { log, uuid4 } from '@temporalio/workflow';
import type { TaskRecord } from '../../domain/task';
import type { TimerRecord } from '../../domain/timer';
import type { PinnedDefinition } from '../../definitions/schema';
import { defaultTaskSlaMs, iso, isTerminal, slaDeadline, timerDelayMs } from '../machine';
import type { InstanceInput, InstanceSnapshot, PinnedCalendar, TaskCreateRequest } from '../messages';
import { nextOverdueCheck } from '../sla';
import { addWorking } from '../slaCalendar';

/** The records an instance creates: its header, timers and tasks (ids from the workflow's deterministic `uuid4`). */

/** A task to record; `calendar`: the one its due time was counted in. */
export type NewTask = Omit<TaskCreateRequest, 'actor'> & { calendar?: PinnedCalendar };

/** The pinned calendar a definition's task or timer names (`calendar`), by code. */
export type CalendarLookup = (code: string | undefined) => PinnedCalendar | undefined;

/** The calendar `code` names, when the instance pinned it; a code it lacks counts wall-clock time, logged. */
function calendarNamed(calendars: CalendarLookup, code: string | undefined): PinnedCalendar | undefined {
  const calendar = calendars(code);
  if (code !== undefined && !calendar) log.warn('a calendar the instance did not pin counts in wall-clock time', { calendar: code });
  return calendar;
}

const calendarFields = (calendar: PinnedCalendar | undefined) => (calendar ? { calendar: calendar.code, calendar_version: calendar.version } : {});

export function newTimer(
  instanceId: string,
  fields: Pick<TimerRecord, 'name' | 'fire_at' | 'on_fire' | 'source' | 'on_enter'>,
  nowMs: number,
  calendar?: PinnedCalendar,
): TimerRecord {
  return { timer_id: uuid4(), instance_id: instanceId, ...fields, status: 'PENDING', set_at: iso(nowMs), ...calendarFields(calendar) };
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
    ...calendarFields(dueAt ? request.calendar : undefined),
  };
}

/** Open tasks closed by an operator's cancel, move or migration: CANCELLED, no longer due for overdue checks. */
export const cancelledTasks = (tasks: TaskRecord[], at: string): TaskRecord[] => tasks.map((t) => ({ ...t, state: 'CANCELLED', cancelled_at: at, overdue_check_at: null }));

/** `delayMs` after `nowMs`, in the calendar's working time when there is one. */
const after = (nowMs: number, delayMs: number, calendar: PinnedCalendar | undefined) => (calendar ? addWorking(calendar, nowMs, delayMs) : nowMs + delayMs);

/** A due time `due_in` (an ISO-8601 duration) from now, as definitions and timer actions give it. */
export const dueIn = (due_in: string | undefined, nowMs: number, calendar?: PinnedCalendar) =>
  due_in ? iso(after(nowMs, timerDelayMs({ duration: due_in }), calendar)) : undefined;

/** A definition's task template (a state's, or a timer's `create_task`) as a task to record, due in its calendar's working time. */
export function templateTask(template: { title: string; assignee_role?: string; assignee_user_id?: string; due_in?: string; priority: TaskRecord['priority']; calendar?: string }, nowMs: number, calendars: CalendarLookup): NewTask {
  const { title, assignee_role, assignee_user_id, due_in, priority } = template;
  const calendar = calendarNamed(calendars, template.calendar);
  return { title, body: '', assignee_role, assignee_user_id, due_at: dueIn(due_in, nowMs, calendar), priority, ...(calendar ? { calendar } : {}) };
}

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

/** What entering `entered` sets up: the definition's timers for that state, then its tasks (on their calendars' working time). */
export function onEnter(definition: PinnedDefinition, instanceId: string, entered: string, nowMs: number, calendars: CalendarLookup): Entered {
  const timersSet = definition.timers
    .filter((t) => t.on_enter === entered)
    .map((t) => {
      const calendar = calendarNamed(calendars, t.calendar);
      const fields = { name: t.name, fire_at: iso(after(nowMs, timerDelayMs(t), calendar)), on_fire: t.on_fire, source: 'definition' as const, on_enter: entered };
      return newTimer(instanceId, fields, nowMs, calendar);
    });
  const tasksCreated = definition.tasks.filter((t) => t.on_enter === entered).map((t) => newTask(instanceId, templateTask(t, nowMs, calendars), nowMs));
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
