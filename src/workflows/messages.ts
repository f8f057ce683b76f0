import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { PinnedDefinition } from '../definitions/schema';
import type { Actor } from '../domain/actor';
import type { CalendarRules, ZoneRules } from '../domain/calendar/types';
import type { TaskRecord } from '../domain/task';
import type { TimerRecord } from '../domain/timer';

export interface SubjectRef {
  entity_id: string;
  entity_type: string;
}

/**
 * A business calendar an instance counts working time in (its SLA's, its tasks' and timers'): the version pinned at
 * START (or by the last recalculation), with its zone's offsets as resolved then, so replays compute the same
 * deadlines on any host.
 */
export interface PinnedCalendar {
  code: string;
  version: number;
  rules: CalendarRules;
  zone: ZoneRules;
}

/** The calendars a definition's tasks and timers count in, by code. */
export type PinnedCalendars = Record<string, PinnedCalendar>;

/** The `revision` a START names: the instance workflow's behaviour new instances get (see `InstanceInput.revision`). */
export const instanceRevision = 1;

/** What START hands the instance workflow: everything it needs, the definition pinned by value. */
export interface InstanceInput {
  organizationId: string;
  instanceId: string;
  definition: PinnedDefinition;
  initialState?: string;
  subjectRef: SubjectRef | null;
  context: Record<string, unknown>;
  actor: Actor;
  correlationId: string | null;
  /** Digest of the START request, so a replayed key with another body can be told apart. */
  requestHash: string;
  /**
   * When START was taken (epoch ms): the instance's `created_at`, what its SLA and first timers count from, and
   * what START's search attributes were set from. Histories recorded before it count from the run's start.
   */
  startedAt?: number;
  /**
   * What the workflow's code was when START was made: 1 = its first record written locally, on-time SLA timers.
   * Histories recorded before it carry patch markers instead; a later change of behaviour raises it (or patches).
   */
  revision?: number;
  /** Set when the instance continues as new: everything the previous run knew. */
  carried?: CarriedState;
  /** Continue as new beyond this many history events (default: when Temporal suggests it). */
  historyLimit?: number;
  /** The SLA's calendar when the definition names one (`sla_calendar`). */
  calendar?: PinnedCalendar;
  /** The calendars the definition's tasks and timers name (`calendar`), pinned at their current versions. */
  calendars?: PinnedCalendars;
  /** Who hears of the last SLA breach level and second task-overdue level when the instance notices them itself (HERA_OPERATIONS_TEAM). */
  operationsTeam?: string;
}

/** What a run hands the next one on continue-as-new: absolute deadlines, never remaining durations. */
export interface CarriedState {
  snapshot: InstanceSnapshot;
  createdAnswer: InstanceSnapshot;
  createdReplies: number;
  lineCount: number;
  stateEnteredAt: number;
  timers: TimerRecord[];
  tasks: TaskRecord[];
  answers: Array<[string, { requestHash: string; answer: AdvanceAnswer }]>;
  pause?: PauseState;
  /** The SLA's length (the definition's, or the last recalculation's override); warnings are fractions of it. */
  slaDurationMs?: number | null;
  /** The definition the instance is pinned to now (a migration re-pins it); runs before migrations: the input's. */
  definition?: PinnedDefinition;
  /** The SLA's calendar now (a recalculation re-pins it); absent: the input's. */
  calendar?: PinnedCalendar;
  /** The tasks' and timers' calendars now (a recalculation re-pins them, a migration adds the target's). */
  calendars?: PinnedCalendars;
}

/** The pause clock: when the current pause began (null = running) and all paused time so far. */
export interface PauseState {
  pausedAtMs: number | null;
  reason: string | null;
  by: string | null;
  totalMs: number;
  /** Of which working time, when the SLA counts in a calendar. */
  workingMs?: number;
}

/** Running; finished in a terminal state of its definition; or ended by an operator's cancel. */
export type InstanceStatus = 'active' | 'completed' | 'cancelled';

/** The instance as INSTANCE.GET returns it. */
export interface InstanceSnapshot {
  instance_id: string;
  organization_id: string;
  definition_code: string;
  definition_version: number;
  current_state: string;
  subject_ref: SubjectRef | null;
  context: Record<string, unknown>;
  status: InstanceStatus;
  paused: boolean;
  paused_at?: string | null;
  pause_reason?: string | null;
  paused_by?: string | null;
  owner_team: string | null;
  owner_user_id: string | null;
  sla_at: string | null;
  /** SLA levels the sweep recorded: warnings (1 = 50 %, 2 = 75 %) and breach escalations (1 = 0 h, 2 = 2 h, 3 = 6 h). */
  sla_warning_level?: number;
  sla_escalation_level?: number;
  sla_escalated_at?: string | null;
  /** On a calendar: its code and pinned version, and the warning tiers' moments (fractions of working time). */
  sla_calendar?: string;
  sla_calendar_version?: number;
  sla_warnings_at?: string[];
  created_at: string;
  updated_at: string;
}

export interface CreatedReply {
  instance: InstanceSnapshot;
  requestHash: string;
  /** This answer is for a repeat of the request that created the instance. */
  replayed: boolean;
}

export interface AdvanceRequest {
  to_state: string;
  actor_role?: string;
  payload: Record<string, unknown>;
  actor: Actor;
  idempotency_key: string | null;
  request_hash: string;
  correlation_id: string | null;
}

/** ADVANCE's answer (SPEC §10). Timers are set and cancelled by the timer capability. */
export interface AdvanceAnswer {
  instance_id: string;
  from_state: string;
  to_state: string;
  current_state: string;
  transitioned_at: string;
  step_id: string;
  guards_executed: string[];
  effects_queued: string[];
  timers_set: string[];
  timers_cancelled: string[];
}

export interface AdvanceReply {
  answer: AdvanceAnswer;
  replayed: boolean;
}

export interface TimerSetRequest {
  actor: Actor;
  name?: string;
  minutes?: number;
  duration?: string;
  on_fire: TimerRecord['on_fire'];
}

export interface TimerCommand {
  actor: Actor;
  timer_id: string;
  reason?: string;
  /** Fire only a timer due by then (the sweep's safety net; a resume may have moved the deadline since it looked). */
  due_by?: string;
}

/** Cancel one timer (by id or by name) or, naming neither, every PENDING timer of the instance. */
export interface TimerCancelRequest {
  actor: Actor;
  timer_id?: string;
  name?: string;
  reason?: string;
}

export interface TimerCancelAnswer {
  instance_id: string;
  cancelled_count: number;
  cancelled_timers: Array<{ timer_id: string; name: string; was_due_at: string }>;
}

export interface TimerAnswer {
  timer_id: string;
  instance_id: string;
  name: string;
  fire_at: string;
  on_fire: Record<string, unknown>;
  status: TimerRecord['status'];
  fired_at: string | null;
  execution_result?: Record<string, unknown>;
}

export interface TaskCreateRequest {
  actor: Actor;
  title: string;
  body: string;
  assignee_role?: string;
  assignee_user_id?: string;
  due_at?: string;
  priority: TaskRecord['priority'];
}

export interface TaskCommand {
  actor: Actor;
  task_id: string;
}

export interface TaskCompleteRequest extends TaskCommand {
  outcome: string;
  notes?: string;
  advance_workflow?: { to_state: string; payload: Record<string, unknown> };
}

export interface TaskEscalateRequest extends TaskCommand {
  escalate_to_role?: string;
  escalate_to_user_id?: string;
  reason?: string;
  new_priority?: TaskRecord['priority'];
}

export interface TaskAnswer {
  task: TaskRecord;
  workflow_advanced?: boolean;
  warning?: { code: string; message: string };
}

/** The sweep asks an instance to record the SLA levels due at `as_of` (notifying each newly reached one). */
export interface SlaCheckRequest {
  as_of: string;
  /** Who hears of the last breach level. */
  operations_team: string;
}

export interface SlaCheckAnswer {
  instance_id: string;
  sla_warning_level: number;
  sla_escalation_level: number;
  warned: boolean;
  escalated_levels: number[];
  notifications: number;
}

/** The sweep asks an instance to escalate a task for each overdue level due at `as_of`. */
export interface OverdueTaskRequest {
  task_id: string;
  as_of: string;
  operations_team: string;
}

export interface OverdueTaskAnswer {
  task: TaskRecord;
  escalated_levels: number[];
  notifications: number;
}

/** Current state of the instance, answered from workflow memory. */
export const snapshotQuery = defineQuery<InstanceSnapshot>('snapshot');

/** Answers once the instance's header is persisted; START sends it with the workflow start. */
export const awaitCreatedUpdate = defineUpdate<CreatedReply, [string]>('awaitCreated');

/** Moves the instance along one transition of its definition; answered after the step is persisted. */
export const advanceUpdate = defineUpdate<AdvanceReply, [AdvanceRequest]>('advance');

export const setTimerUpdate = defineUpdate<TimerAnswer, [TimerSetRequest]>('setTimer');
export const cancelTimerUpdate = defineUpdate<TimerCancelAnswer, [TimerCancelRequest]>('cancelTimer');
/** An operator override: fires a PENDING timer now. */
export const fireTimerUpdate = defineUpdate<TimerAnswer, [TimerCommand]>('fireTimer');

export const createTaskUpdate = defineUpdate<TaskAnswer, [TaskCreateRequest]>('createTask');
export const claimTaskUpdate = defineUpdate<TaskAnswer, [TaskCommand]>('claimTask');
export const completeTaskUpdate = defineUpdate<TaskAnswer, [TaskCompleteRequest]>('completeTask');
export const escalateTaskUpdate = defineUpdate<TaskAnswer, [TaskEscalateRequest]>('escalateTask');

/** Sent by the SLA sweep; refused (not recorded) when nothing is newly due, or the instance is paused or finished. */
export const checkSlaUpdate = defineUpdate<SlaCheckAnswer, [SlaCheckRequest]>('checkSla');
export const escalateOverdueTaskUpdate = defineUpdate<OverdueTaskAnswer, [OverdueTaskRequest]>('escalateOverdueTask');

/** An operator command on the instance. */
export interface AdminCommand {
  actor: Actor;
  reason?: string;
  /** The workflow writes the command's audit event itself: set for signals, which no procedure ran (and so none audited). */
  audit?: boolean;
  /** The bulk job that sent the command (with `audit`): its audit event names the job. */
  bulk_job_id?: string;
}

/** What an operator types into the Temporal UI's Send Signal dialog: a name, recorded as given, and a reason. */
export interface OperatorSignal {
  actor?: string;
  reason?: string;
}

export interface ReassignCommand extends AdminCommand {
  owner_team?: string;
  owner_user_id?: string;
}

export interface PauseAnswer {
  instance_id: string;
  paused: boolean;
  paused_at: string | null;
  pause_reason: string | null;
  paused_by: string | null;
}

export interface ResumeAnswer {
  instance_id: string;
  paused: false;
  resumed_at: string;
  resumed_by: string;
  pause_duration_seconds: number;
  sla_at: string | null;
  timers_rearmed: Array<{ timer_id: string; name: string; fire_at: string }>;
}

export interface ReassignAnswer {
  instance_id: string;
  owner_team: string | null;
  owner_user_id: string | null;
  reassigned_at: string;
  reassigned_by: string;
}

export interface SlaRecalcRequest extends AdminCommand {
  sla_override_hours?: number;
}

export interface SlaRecalcAnswer {
  instance_id: string;
  previous_sla_at: string | null;
  new_sla_at: string;
  pause_time_hours: number;
  sla_recalc_at: string;
}

export interface TaskReassignRequest extends TaskCommand {
  assignee_role?: string;
  assignee_user_id?: string;
  reason?: string;
}

export interface EffectRetryRequest {
  actor: Actor;
  step_id: string;
  effect_filter?: string[];
  /** Set by a bulk job: the workflow audits the retry, naming the job. */
  audit?: boolean;
  bulk_job_id?: string;
}

export interface EffectRetryAnswer {
  step_id: string;
  effects_retried: string[];
  effects_successful: string[];
  effects_still_failed: string[];
  retry_summary: { total_attempted: number; total_successful: number; total_failed: number };
}

/** Pause, resume and reassign: Updates for the API (they answer), Signals of the same name for the Temporal UI. */
export const pauseUpdate = defineUpdate<PauseAnswer, [AdminCommand]>('pause');
export const resumeUpdate = defineUpdate<ResumeAnswer, [AdminCommand]>('resume');
export const reassignUpdate = defineUpdate<ReassignAnswer, [ReassignCommand]>('reassign');
export const pauseSignal = defineSignal<[OperatorSignal]>('pause');
export const resumeSignal = defineSignal<[OperatorSignal]>('resume');
export const reassignSignal = defineSignal<[OperatorSignal & Pick<ReassignCommand, 'owner_team' | 'owner_user_id'>]>('reassign');
export const slaRecalcUpdate = defineUpdate<SlaRecalcAnswer, [SlaRecalcRequest]>('slaRecalc');
export const reassignTaskUpdate = defineUpdate<TaskAnswer, [TaskReassignRequest]>('reassignTask');
export const retryEffectsUpdate = defineUpdate<EffectRetryAnswer, [EffectRetryRequest]>('retryEffects');

/** CANCEL: ends the instance where it is (status `cancelled`), its pending timers and open tasks cancelled. */
export interface CancelRequest extends AdminCommand {
  reason: string;
}

export interface CancelAnswer {
  instance_id: string;
  status: 'cancelled';
  current_state: string;
  cancelled_at: string;
  cancelled_by: string;
  reason: string;
  timers_cancelled: string[];
  tasks_cancelled: string[];
}

/** MOVE: jumps to any state of the definition, as a transition would leave and enter, without guards or effects. */
export interface MoveRequest extends AdminCommand {
  to_state: string;
}

export interface MoveAnswer {
  instance_id: string;
  from_state: string;
  to_state: string;
  status: InstanceStatus;
  moved_at: string;
  step_id: string;
  timers_cancelled: string[];
  timers_set: string[];
  tasks_cancelled: string[];
  tasks_created: string[];
}

/** MIGRATE: re-pins the instance to `definition` (version `to_version` of its code, resolved by the API). */
export interface MigrateRequest extends AdminCommand {
  to_version: number;
  /** The current state's name in the target, when it is not the same name. */
  state_map?: Record<string, string>;
  dry_run?: boolean;
  definition: PinnedDefinition;
  /** The calendars the target's tasks and timers name, at their current versions (the instance keeps those it has). */
  calendars?: PinnedCalendars;
}

/** What a migration does to one pending timer or open task, and why. */
export interface MigrationItem {
  action: 'keep' | 'cancel';
  reason: 'DEFINED_IN_TARGET' | 'NOT_IN_TARGET' | 'NOT_FROM_DEFINITION';
}

export interface MigrationPlan {
  valid: boolean;
  from_version: number;
  to_version: number;
  from_state: string;
  to_state: string;
  timers: Array<MigrationItem & { timer_id: string; name: string }>;
  tasks: Array<MigrationItem & { task_id: string; title: string }>;
  problems: Array<{ code: string; message: string }>;
}

export interface MigrateAnswer extends MigrationPlan {
  instance_id: string;
  dry_run: boolean;
  migrated_at: string | null;
}

export const cancelUpdate = defineUpdate<CancelAnswer, [CancelRequest]>('cancel');
export const moveUpdate = defineUpdate<MoveAnswer, [MoveRequest]>('move');
export const migrateUpdate = defineUpdate<MigrateAnswer, [MigrateRequest]>('migrate');
