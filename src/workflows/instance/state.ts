import { setCurrentDetails, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { PinnedDefinition } from '../../definitions/schema';
import { taskClosed, type TaskRecord } from '../../domain/task';
import type { TimerRecord } from '../../domain/timer';
import { attributesToSet, heraDefinitionVersion, heraOwner, heraPaused, heraSlaAt, heraState, newInstanceAttributes } from '../../temporal/searchAttributes';
import type { AdvanceAnswer, CarriedState, InstanceInput, InstanceSnapshot, PauseState, PinnedCalendar, PinnedCalendars } from '../messages';
import { iso } from '../machine';
import { nextOverdueCheck, nextSlaCheck, type SlaClock, type SlaDecision } from '../sla';
import { addWorking, afterPause, calendarSla, workingBetween, type CalendarSla } from '../slaCalendar';
import { currentDetails } from './details';
import { newSnapshot, type StateEntry } from './records';

type IdempotentAnswer = { requestHash: string; answer: AdvanceAnswer };

const slaLengthMs = ({ sla_hours }: PinnedDefinition) => (sla_hours !== undefined ? Math.round(sla_hours * 3_600_000) : null);

/**
 * Everything one instance workflow knows. Its methods are the only code that counts step lines, wakes the
 * timer loop or upserts search attributes, so those three never drift apart from the state they describe.
 */
export class InstanceState {
  readonly snapshot: InstanceSnapshot;
  readonly createdAnswer: InstanceSnapshot;
  /** The record is written (START's Update waits for it); how many times START was answered. */
  created: boolean;
  createdReplies: number;
  readonly timers: Map<string, TimerRecord>;
  readonly tasks: Map<string, TaskRecord>;
  /** ADVANCE's answers by Idempotency-Key (the newest 200 are carried over). */
  readonly answers: Map<string, IdempotentAnswer>;
  readonly pause: PauseState;
  /** Effects still running; the workflow neither ends nor continues as new until they settle. */
  pendingEffects = 0;
  private lineCount: number;
  private stateEnteredAt: number;
  private slaDurationMs: number | null;
  private pinned: PinnedDefinition;
  /** The calendar the SLA counts in (pinned at START, re-pinned by a recalculation); null: wall-clock hours. */
  private slaCalendar: PinnedCalendar | null;
  /** The calendars its tasks and timers count in, by code. */
  private workCalendars: PinnedCalendars;
  private wake = false;

  private constructor(carried: CarriedState & { definition: PinnedDefinition }, created: boolean) {
    this.snapshot = carried.snapshot;
    this.createdAnswer = carried.createdAnswer;
    this.created = created;
    this.createdReplies = carried.createdReplies;
    this.lineCount = carried.lineCount;
    this.stateEnteredAt = carried.stateEnteredAt;
    this.timers = new Map(carried.timers.map((t) => [t.timer_id, t]));
    this.tasks = new Map(carried.tasks.map((t) => [t.task_id, t]));
    this.answers = new Map(carried.answers);
    this.pause = carried.pause ?? { pausedAtMs: null, reason: null, by: null, totalMs: 0 };
    this.slaDurationMs = carried.slaDurationMs ?? null;
    this.pinned = carried.definition;
    this.slaCalendar = carried.calendar ?? null;
    this.workCalendars = carried.calendars ?? {};
  }

  /** A new instance in `state`, started now. */
  static fromInput(input: InstanceInput, state: string, startedMs: number): InstanceState {
    const snapshot = newSnapshot(input, state, startedMs);
    const durationMs = slaLengthMs(input.definition);
    const { calendar } = input;
    // On a calendar the SLA's hours are working hours, its warnings fractions of them.
    if (calendar && durationMs !== null) {
      Object.assign(snapshot, { sla_calendar: calendar.code, sla_calendar_version: calendar.version, ...calendarSla(calendar, startedMs, durationMs) });
    }
    const fresh = { snapshot, createdAnswer: { ...snapshot }, createdReplies: 0, lineCount: 1, stateEnteredAt: startedMs, timers: [], tasks: [], answers: [] };
    return new InstanceState(
      { ...fresh, slaDurationMs: durationMs, definition: input.definition, calendar: calendar && durationMs !== null ? calendar : undefined, calendars: input.calendars },
      false,
    );
  }

  /**
   * The instance as the previous run handed it over on continue-as-new, pinned to the definition it carried
   * (runs before migrations: the input's; before SLA lengths were carried: the definition's SLA).
   */
  static fromCarried(carried: CarriedState, inputDefinition: PinnedDefinition): InstanceState {
    const definition = carried.definition ?? inputDefinition;
    return new InstanceState({ ...carried, definition, slaDurationMs: carried.slaDurationMs ?? slaLengthMs(definition) }, true);
  }

  /** What the next run needs: absolute deadlines, live timers, the newest idempotency answers. */
  toCarried(): CarriedState {
    return {
      snapshot: this.snapshot,
      createdAnswer: this.createdAnswer,
      createdReplies: this.createdReplies,
      lineCount: this.lineCount,
      stateEnteredAt: this.stateEnteredAt,
      timers: [...this.timers.values()].filter((t) => t.status === 'PENDING' || t.status === 'FIRING'),
      tasks: [...this.tasks.values()],
      answers: [...this.answers.entries()].slice(-200),
      pause: this.pause,
      slaDurationMs: this.slaDurationMs,
      definition: this.pinned,
      ...(this.slaCalendar ? { calendar: this.slaCalendar } : {}),
      ...(Object.keys(this.workCalendars).length ? { calendars: this.workCalendars } : {}),
    };
  }

  /** The calendar the SLA counts in, if any. */
  get calendar(): PinnedCalendar | null {
    return this.slaCalendar;
  }

  /** The pinned calendar a task or timer names; none named (or none pinned): wall-clock time. */
  readonly workCalendar = (code: string | undefined): PinnedCalendar | undefined => (code !== undefined ? this.workCalendars[code] : undefined);

  /** The codes of the tasks' and timers' calendars, for a recalculation to re-pin. */
  get workCalendarCodes(): string[] {
    return Object.keys(this.workCalendars);
  }

  /** Calendars pinned anew (a recalculation: every one given replaces its pin) or added (a migration: only codes not pinned yet). */
  pinCalendars(calendars: PinnedCalendars, replace: boolean): void {
    this.workCalendars = replace ? { ...this.workCalendars, ...calendars } : { ...calendars, ...this.workCalendars };
  }

  /** The definition the instance follows: the one it started with, or the one a migration pinned. */
  get definition(): PinnedDefinition {
    return this.pinned;
  }

  get active(): boolean {
    return this.snapshot.status === 'active';
  }

  get paused(): boolean {
    return this.pause.pausedAtMs !== null;
  }

  /** The line number the next step note takes. */
  get nextLine(): number {
    return this.lineCount + 1;
  }

  /** How long the instance has been in its current state. */
  timeInStateMs(nowMs: number): number {
    return nowMs - this.stateEnteredAt;
  }

  pendingTimers(): TimerRecord[] {
    return [...this.timers.values()].filter((t) => t.status === 'PENDING');
  }

  /** The PENDING timers due at `nowMs`, earliest first. */
  dueTimers(nowMs: number): TimerRecord[] {
    return this.pendingTimers().filter((t) => Date.parse(t.fire_at) <= nowMs).sort((a, b) => a.fire_at.localeCompare(b.fire_at));
  }

  /** When the timer loop must look next: the earliest PENDING deadline; never while paused. */
  nextDeadline(): number {
    if (this.paused) return Infinity;
    return this.pendingTimers().reduce((min, t) => Math.min(min, Date.parse(t.fire_at)), Infinity);
  }

  /** The instance's SLA moments: its SLA's next tier, each open task's next overdue level; none while paused or finished. */
  slaMoments(): number[] {
    if (this.paused || !this.active) return [];
    const moments = [nextSlaCheck(this.slaClock()), ...this.openTasks().map((t) => t.overdue_check_at ?? null)];
    return moments.filter((at): at is string => !!at).map((at) => Date.parse(at));
  }

  openTasks(): TaskRecord[] {
    return [...this.tasks.values()].filter((t) => !taskClosed(t));
  }

  /** The open tasks of the current state: created since the instance entered it. */
  openTasksOfState(): TaskRecord[] {
    return this.openTasks().filter((t) => Date.parse(t.created_at) >= this.stateEnteredAt);
  }

  slaClock(): SlaClock {
    return {
      slaAt: this.snapshot.sla_at,
      durationMs: this.slaDurationMs,
      warningLevel: this.snapshot.sla_warning_level ?? 0,
      escalationLevel: this.snapshot.sla_escalation_level ?? 0,
      ...(this.snapshot.sla_warnings_at ? { warningsAt: this.snapshot.sla_warnings_at } : {}),
    };
  }

  /** Set by any change that may move the next timer deadline, so the timer loop looks again. */
  get woken(): boolean {
    return this.wake;
  }

  clearWake(): void {
    this.wake = false;
  }

  /** Shows the instance as it is now on the Temporal UI's workflow page (current details: no history event). */
  showDetails(): void {
    setCurrentDetails(currentDetails(this.snapshot, this.openTasks(), this.pendingTimers()));
  }

  /**
   * Announces a new instance to Temporal's visibility (the UI's filters): what START did not already set with
   * the same value (each upsert is a write of the visibility record; a START sets them all but a calendar SLA).
   */
  announce(input: InstanceInput): void {
    const wanted = newInstanceAttributes({
      organizationId: input.organizationId,
      definition: input.definition,
      state: this.snapshot.current_state,
      owner: input.actor.userId,
      slaAt: this.snapshot.sla_at,
    });
    const missing = attributesToSet(wanted, workflowInfo().typedSearchAttributes);
    if (missing.length) upsertSearchAttributes(missing);
  }

  /** A step line that does not move the state was written (an operator's or a timer's note). */
  appendStep(at?: string): void {
    this.lineCount += 1;
    if (at !== undefined) this.snapshot.updated_at = at;
  }

  addTimers(timers: TimerRecord[]): void {
    for (const timer of timers) this.timers.set(timer.timer_id, timer);
    this.wake = true;
  }

  /**
   * The new instance's record is written, with the timers and tasks of its first state. The loop has not
   * started: it reads the first deadline itself, so nothing wakes it (a wake here would start and cancel a
   * Temporal timer, renumbering every later one against histories recorded without it).
   */
  setCreated(timers: TimerRecord[], tasks: TaskRecord[]): void {
    for (const timer of timers) this.timers.set(timer.timer_id, timer);
    this.addTasks(tasks);
    this.created = true;
    this.showDetails();
  }

  cancelTimers(timers: TimerRecord[], at: string, reason: string | null): void {
    for (const timer of timers) Object.assign(timer, { status: 'CANCELLED', cancelled_at: at, reason });
    this.wake = true;
  }

  addTasks(tasks: TaskRecord[]): void {
    for (const task of tasks) this.tasks.set(task.task_id, task);
  }

  /** A transition was persisted: its step line, the new state, and what leaving and entering changed. */
  enterState(entry: StateEntry): void {
    this.appendStep();
    this.changeState(entry);
  }

  /** A state entered by a transition or an operator's move (whose step line is counted by its note). */
  changeState(entry: StateEntry): void {
    this.stateEnteredAt = entry.nowMs;
    this.cancelTimers(entry.cancelled, entry.at, 'state exited');
    this.addTimers(entry.timersSet);
    this.addTasks(entry.tasksCreated);
    Object.assign(this.snapshot, { current_state: entry.to, status: entry.status, updated_at: entry.at });
    upsertSearchAttributes([{ key: heraState, value: entry.to }]);
  }

  /** Cancelled by an operator: it stays in its state, finished; the run ends once its effects settle. */
  setCancelled(at: string): void {
    Object.assign(this.snapshot, { status: 'cancelled', updated_at: at });
    this.wake = true;
  }

  /** Re-pinned by a migration to another version of its definition, in `state` (the current one, or its new name). */
  repin(definition: PinnedDefinition, state: string, at: string, calendars: PinnedCalendars = {}): void {
    this.pinned = definition;
    this.pinCalendars(calendars, false);
    Object.assign(this.snapshot, { definition_version: definition.version, current_state: state, updated_at: at });
    upsertSearchAttributes([{ key: heraState, value: state }, { key: heraDefinitionVersion, value: definition.version }]);
    upsertMemo({ definition_version: definition.version });
  }

  /** Stops every clock of the instance: timers, SLA and task due times. */
  setPaused(nowMs: number, reason: string | null, by: string): void {
    Object.assign(this.pause, { pausedAtMs: nowMs, reason, by });
    Object.assign(this.snapshot, { paused: true, paused_at: iso(nowMs), pause_reason: reason, paused_by: by });
    this.wake = true;
    upsertSearchAttributes([{ key: heraPaused, value: true }]);
  }

  /**
   * Ends the pause: every PENDING timer keeps its remaining time (deadline moved), the SLA moves later, and so
   * do the due times of open tasks (their overdue levels are counted in unpaused time too).
   */
  setResumed(nowMs: number): { pausedMs: number; pausedWorkingMs?: number; rearmed: Array<{ timer_id: string; name: string; fire_at: string }>; tasksMoved: TaskRecord[] } {
    const pausedAtMs = this.pause.pausedAtMs!;
    const pausedMs = nowMs - pausedAtMs;
    const rearmed = this.pendingTimers().map((t) => {
      const armedAt = Math.max(pausedAtMs, t.set_at ? Date.parse(t.set_at) : pausedAtMs);
      t.fire_at = this.movedByPause(t.calendar, t.fire_at, armedAt, nowMs);
      return { timer_id: t.timer_id, name: t.name, fire_at: t.fire_at };
    });
    const tasksMoved = this.openTasks().map((t) => {
      const from = Math.max(pausedAtMs, Date.parse(t.created_at));
      const due = t.due_at ? this.movedByPause(t.calendar, t.due_at, from, nowMs) : null;
      // A task's SLA is its due time when it has one (newTask), else a day after its creation.
      return Object.assign(t, { due_at: due, sla_at: due ?? iso(Date.parse(t.sla_at) + nowMs - from), overdue_check_at: nextOverdueCheck(due, t.overdue_level ?? 0) });
    });
    Object.assign(this.pause, { pausedAtMs: null, reason: null, by: null, totalMs: this.pause.totalMs + pausedMs });
    const { sla_at, sla_warnings_at } = this.snapshot;
    let slaAt = sla_at ? iso(Date.parse(sla_at) + pausedMs) : null;
    let pausedWorkingMs: number | undefined;
    // On a calendar the deadline moves by the working time the pause took, each warning likewise.
    if (this.slaCalendar && sla_at && sla_warnings_at) {
      const moved = afterPause(this.slaCalendar, { sla_at, sla_warnings_at }, pausedAtMs, nowMs);
      slaAt = moved.sla_at;
      this.snapshot.sla_warnings_at = moved.sla_warnings_at;
      this.pause.workingMs = (this.pause.workingMs ?? 0) + moved.pausedWorkingMs;
      pausedWorkingMs = moved.pausedWorkingMs;
    }
    Object.assign(this.snapshot, { paused: false, paused_at: null, pause_reason: null, paused_by: null, sla_at: slaAt });
    this.wake = true;
    upsertSearchAttributes([{ key: heraPaused, value: false }, ...(slaAt ? [{ key: heraSlaAt, value: new Date(slaAt) }] : [])]);
    return { pausedMs, ...(pausedWorkingMs !== undefined ? { pausedWorkingMs } : {}), rearmed, tasksMoved };
  }

  /**
   * A moment `at` after a pause from `fromMs` to `nowMs`: on a calendar it keeps the working time it had left
   * (once past, the wall-clock time, as its overdue levels count); otherwise it moves by the paused time.
   */
  private movedByPause(code: string | undefined, at: string, fromMs: number, nowMs: number): string {
    const atMs = Date.parse(at);
    const calendar = this.workCalendar(code);
    if (!calendar || atMs <= fromMs) return iso(atMs + nowMs - fromMs);
    return iso(addWorking(calendar, nowMs, workingBetween(calendar, fromMs, atMs)));
  }

  setOwner(owner: { owner_team: string | null; owner_user_id: string | null }): void {
    Object.assign(this.snapshot, owner);
    upsertSearchAttributes([{ key: heraOwner, value: (owner.owner_team ?? owner.owner_user_id)! }]);
  }

  /** A recalculated SLA: a new deadline and length, its levels counted again from zero (on a calendar, its moments). */
  setSla(slaAt: string, durationMs: number, onCalendar?: { calendar: PinnedCalendar; sla: CalendarSla }): void {
    this.slaDurationMs = durationMs;
    if (onCalendar) {
      this.slaCalendar = onCalendar.calendar;
      Object.assign(this.snapshot, { sla_calendar: onCalendar.calendar.code, sla_calendar_version: onCalendar.calendar.version, sla_warnings_at: onCalendar.sla.sla_warnings_at });
    }
    Object.assign(this.snapshot, { sla_at: slaAt, sla_warning_level: 0, sla_escalation_level: 0, sla_escalated_at: null });
    upsertSearchAttributes([{ key: heraSlaAt, value: new Date(slaAt) }]);
  }

  /** The SLA levels a check reached. */
  setSlaLevels(decision: SlaDecision, nowMs: number): void {
    Object.assign(this.snapshot, {
      sla_warning_level: decision.warningLevel,
      sla_escalation_level: decision.escalationLevel,
      ...(decision.escalate.length ? { sla_escalated_at: iso(nowMs) } : {}),
    });
  }
}
