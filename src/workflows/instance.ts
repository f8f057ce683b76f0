import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { systemActorId } from '../actors';
import type { HeraActivities } from '../activities';
import type { TaskRecord, TimerRecord } from '../db/queries/timersAndTasks';
import {
  heraDefinitionCode,
  heraOrganizationId,
  heraOwner,
  heraPaused,
  heraSlaAt,
  heraState,
} from '../temporal/searchAttributes';
import { retryStepEffects } from './effectRetry';
import { breachTiers, nextOverdueCheck, nextSlaCheck, overdueLevel, overdueTaskTiersMs, slaBreachNotice, slaDecision, slaWarningNotice, taskOverdueNotice, type SlaClock } from './sla';
import type { NewNotification } from '../db/queries/effects';
import {
  chooseTransition,
  defaultTaskSlaMs,
  effectRetry,
  initialState,
  isTerminal,
  maxPendingTimers,
  maxTimerDelayMs,
  nextRoleUp,
  priorityRank,
  slaDeadline,
  timerDelayMs,
} from './machine';
import {
  advanceUpdate,
  awaitCreatedUpdate,
  pauseSignal,
  pauseUpdate,
  reassignSignal,
  reassignTaskUpdate,
  reassignUpdate,
  resumeSignal,
  resumeUpdate,
  retryEffectsUpdate,
  slaRecalcUpdate,
  cancelTimerUpdate,
  checkSlaUpdate,
  claimTaskUpdate,
  completeTaskUpdate,
  createTaskUpdate,
  escalateOverdueTaskUpdate,
  escalateTaskUpdate,
  fireTimerUpdate,
  setTimerUpdate,
  snapshotQuery,
  type Actor,
  type AdminCommand,
  type AdvanceAnswer,
  type AdvanceReply,
  type AdvanceRequest,
  type InstanceInput,
  type InstanceSnapshot,
  type OverdueTaskAnswer,
  type OverdueTaskRequest,
  type PauseAnswer,
  type PauseState,
  type ReassignAnswer,
  type ReassignCommand,
  type ResumeAnswer,
  type SlaCheckAnswer,
  type SlaCheckRequest,
  type TaskCreateRequest,
  type TimerAnswer,
} from './messages';

/** Persistence retries until the database answers: a change is never dropped because it was down. */
const persistence = proxyActivities<HeraActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

const systemActor: Actor = { userId: systemActorId, roles: ['system'] };

function refuse(code: string, message: string, details: Record<string, unknown> = {}): never {
  throw ApplicationFailure.create({ type: code, message, details: [details], nonRetryable: true });
}

/** Runs handlers one at a time, in arrival order, across their awaits (TRAPS: handlers interleave). */
function serializer() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const run = tail.then(work);
    tail = run.catch(() => undefined);
    return run;
  };
}

const iso = (ms: number) => new Date(ms).toISOString();
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const refOf = (ref: string | { code: string; with: Record<string, unknown> }) =>
  typeof ref === 'string' ? { code: ref, params: {} } : { code: ref.code, params: ref.with };

/**
 * One HERA workflow instance: the only writer of its records, so every change to it (transitions, timers,
 * tasks, effects) is decided here, one at a time.
 */
export async function instanceWorkflow(input: InstanceInput): Promise<InstanceSnapshot> {
  const { definition, organizationId } = input;
  const carried = input.carried;
  let state: string;
  try {
    state = carried?.snapshot.current_state ?? initialState(definition, input.initialState);
  } catch (error) {
    refuse('INVALID_STATE', (error as Error).message);
  }
  const startedMs = Date.now();
  const snapshot: InstanceSnapshot = carried?.snapshot ?? {
    instance_id: input.instanceId,
    organization_id: organizationId,
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
  const createdAnswer = carried?.createdAnswer ?? { ...snapshot };
  let created = carried !== undefined;
  let createdReplies = carried?.createdReplies ?? 0;
  let lineCount = carried?.lineCount ?? 1;
  let stateEnteredAt = carried?.stateEnteredAt ?? startedMs;
  const timers = new Map((carried?.timers ?? []).map((t) => [t.timer_id, t]));
  const tasks = new Map((carried?.tasks ?? []).map((t) => [t.task_id, t]));
  const answers = new Map(carried?.answers ?? []);
  const pause: PauseState = carried?.pause ?? { pausedAtMs: null, reason: null, by: null, totalMs: 0 };
  let slaDurationMs = carried?.slaDurationMs ?? (definition.sla_hours !== undefined ? Math.round(definition.sla_hours * 3_600_000) : null);
  const slaClock = (): SlaClock => ({
    slaAt: snapshot.sla_at,
    durationMs: slaDurationMs,
    warningLevel: snapshot.sla_warning_level ?? 0,
    escalationLevel: snapshot.sla_escalation_level ?? 0,
  });
  let pendingEffects = 0;
  /** Set by any change that may move the next timer deadline, so the timer loop looks again. */
  let wake = false;
  const serialize = serializer();
  const effects = proxyActivities<HeraActivities>({ startToCloseTimeout: '2m', retry: effectRetry(definition) });

  // ---- timers and tasks of a state -------------------------------------------------------------------

  function timersOnEnter(entered: string, nowMs: number): TimerRecord[] {
    return definition.timers
      .filter((t) => t.on_enter === entered)
      .map((t) => ({
        timer_id: uuid4(),
        instance_id: snapshot.instance_id,
        name: t.name,
        fire_at: iso(nowMs + timerDelayMs(t)),
        on_fire: t.on_fire,
        status: 'PENDING',
        source: 'definition',
        on_enter: entered,
        set_at: iso(nowMs),
      }));
  }

  function newTask(request: Omit<TaskCreateRequest, 'actor'>, nowMs: number): TaskRecord {
    const dueMs = request.due_at ? Date.parse(request.due_at) : undefined;
    return {
      task_id: uuid4(),
      instance_id: snapshot.instance_id,
      title: request.title,
      body: request.body,
      state: 'OPEN',
      assignee_role: request.assignee_role ?? null,
      assignee_user_id: request.assignee_user_id ?? null,
      priority: request.priority,
      due_at: dueMs !== undefined ? iso(dueMs) : null,
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
      overdue_check_at: nextOverdueCheck(dueMs !== undefined ? iso(dueMs) : null, 0),
    };
  }

  function tasksOnEnter(entered: string, nowMs: number): TaskRecord[] {
    return definition.tasks
      .filter((t) => t.on_enter === entered)
      .map((t) =>
        newTask(
          {
            title: t.title,
            body: '',
            assignee_role: t.assignee_role,
            assignee_user_id: t.assignee_user_id,
            due_at: t.due_in ? iso(nowMs + timerDelayMs({ duration: t.due_in })) : undefined,
            priority: t.priority,
          },
          nowMs,
        ),
      );
  }

  // ---- START ---------------------------------------------------------------------------------------

  setHandler(snapshotQuery, () => snapshot);

  setHandler(
    awaitCreatedUpdate,
    async () => {
      await condition(() => created);
      createdReplies += 1;
      return { instance: createdAnswer, requestHash: input.requestHash, replayed: createdReplies > 1 };
    },
    {
      validator: (requestHash) => {
        if (requestHash !== input.requestHash) {
          refuse('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key started an instance with another request');
        }
      },
    },
  );

  // ---- ADVANCE -------------------------------------------------------------------------------------

  function requireActive(): void {
    if (snapshot.status !== 'active') {
      refuse('INSTANCE_FINALIZED', `the instance is in its terminal state ${snapshot.current_state}`, {
        current_state: snapshot.current_state,
      });
    }
  }

  /** While paused nothing moves: no transition (admins included), no timer fire, no new effect. */
  function requireRunning(): void {
    if (pause.pausedAtMs !== null) {
      refuse('INSTANCE_PAUSED', 'the instance is paused', { paused_at: snapshot.paused_at ?? null, pause_reason: pause.reason });
    }
  }

  /** Throws the refusal an advance meets in the current state, or answers a replay; undefined = go ahead. */
  function precheck(request: AdvanceRequest): AdvanceReply | undefined {
    if (request.idempotency_key) {
      const prior = answers.get(request.idempotency_key);
      if (prior && prior.requestHash !== request.request_hash) {
        refuse('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another request');
      }
      if (prior) return { answer: prior.answer, replayed: true };
    }
    requireActive();
    requireRunning();
    const choice = chooseTransition(definition, snapshot.current_state, request.to_state, request.actor.roles, request.actor_role);
    if (!choice.ok) refuse(choice.code, choice.message, choice.details);
    return undefined;
  }

  async function advance(request: AdvanceRequest, note: string | null = null): Promise<AdvanceReply> {
    const replay = precheck(request);
    if (replay) return replay;
    const choice = chooseTransition(definition, snapshot.current_state, request.to_state, request.actor.roles, request.actor_role);
    if (!choice.ok) refuse(choice.code, choice.message, choice.details);
    const { transition, actorRole } = choice;
    const now = Date.now();
    const at = iso(now);
    const stepId = uuid4();
    const queued = transition.effects.map((ref) => ({ effectId: uuid4(), ...refOf(ref) }));
    const status = isTerminal(definition, transition.to) ? 'completed' : 'active';
    const cancelled = [...timers.values()].filter((t) => t.status === 'PENDING');
    const timersSet = status === 'active' ? timersOnEnter(transition.to, now) : [];
    const tasksCreated = status === 'active' ? tasksOnEnter(transition.to, now) : [];
    const answer: AdvanceAnswer = {
      instance_id: snapshot.instance_id,
      from_state: transition.from,
      to_state: transition.to,
      current_state: transition.to,
      transitioned_at: at,
      step_id: stepId,
      guards_executed: transition.guards.map((g) => refOf(g).code),
      effects_queued: queued.map((e) => e.code),
      timers_set: timersSet.map((t) => t.name),
      timers_cancelled: cancelled.map((t) => t.name),
    };
    const outcome = await persistence.applyTransition({
      organizationId,
      instanceId: snapshot.instance_id,
      guards: transition.guards,
      context: snapshot.context,
      stepId,
      lineNumber: lineCount + 1,
      at,
      actorUserId: request.actor.userId,
      lineData: {
        from: transition.from,
        to: transition.to,
        by: actorRole,
        actor_user_id: request.actor.userId,
        payload: request.payload,
        note,
        guards_executed: answer.guards_executed,
        effects_queued: answer.effects_queued,
        effects_failed: [],
        duration_ms: now - stateEnteredAt,
        correlation_id: request.correlation_id,
        request_hash: request.request_hash,
        ...(request.idempotency_key ? { idem_key: request.idempotency_key } : {}),
        response: answer,
        timestamp: at,
      },
      headerPatch: { current_state: transition.to },
      status,
      effects: queued.map((e) => ({ ...e, instanceId: snapshot.instance_id, stepId })),
      timersCancelled: cancelled.map((t) => t.timer_id),
      timersSet,
      tasksCreated,
    });
    if (!outcome.applied) {
      const failed = outcome.guards.find((g) => !g.passed);
      refuse('GUARD_FAILED', `guard ${failed?.code} failed: ${failed?.reason}`, { guards: outcome.guards });
    }
    lineCount += 1;
    stateEnteredAt = now;
    for (const timer of cancelled) Object.assign(timer, { status: 'CANCELLED', cancelled_at: at, reason: 'state exited' });
    for (const timer of timersSet) timers.set(timer.timer_id, timer);
    for (const task of tasksCreated) tasks.set(task.task_id, task);
    wake = true;
    Object.assign(snapshot, { current_state: transition.to, status, updated_at: at });
    upsertSearchAttributes([{ key: heraState, value: transition.to }]);
    if (request.idempotency_key) answers.set(request.idempotency_key, { requestHash: request.request_hash, answer });
    const step = { step_id: stepId, from_state: transition.from, to_state: transition.to, actor_role: actorRole, payload: request.payload, transitioned_at: at };
    for (const effect of queued) void runEffect(effect, step, { ...snapshot });
    return { answer, replayed: false };
  }

  /** Runs one effect with the definition's retry policy; exhausted, it is settled as permanently failed. */
  async function runEffect(
    effect: { effectId: string; code: string; params: Record<string, unknown> },
    step: Record<string, unknown> & { step_id: string },
    instance: InstanceSnapshot,
  ): Promise<void> {
    pendingEffects += 1;
    try {
      await effects.executeEffect({ ...effect, organizationId, instanceId: instance.instance_id, stepId: step.step_id, instance: { ...instance }, step });
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      await persistence.settleFailedEffect({ organizationId, effectId: effect.effectId, stepId: step.step_id, code: effect.code });
    } finally {
      pendingEffects -= 1;
    }
  }

  setHandler(advanceUpdate, (request) => serialize(() => advance(request)), {
    validator: (request) => {
      precheck(request);
    },
  });

  // ---- timers --------------------------------------------------------------------------------------

  const timerAnswer = (t: TimerRecord, execution_result?: Record<string, unknown>): TimerAnswer => ({
    timer_id: t.timer_id,
    instance_id: t.instance_id,
    name: t.name,
    fire_at: t.fire_at,
    on_fire: t.on_fire,
    status: t.status,
    fired_at: t.fired_at ?? null,
    ...(execution_result ? { execution_result } : {}),
  });

  function findTimer(timerId: string): TimerRecord {
    const timer = timers.get(timerId);
    if (!timer) refuse('TIMER_NOT_FOUND', 'no such timer on this instance', { timer_id: timerId });
    return timer;
  }

  function requirePending(timer: TimerRecord): void {
    if (timer.status !== 'PENDING') {
      refuse('TIMER_ALREADY_FIRED', `the timer is ${timer.status}`, { timer_id: timer.timer_id, status: timer.status });
    }
  }

  /**
   * Fires one PENDING timer at most once: taken in memory first, then PENDING → FIRING in the database (a
   * guarded change), then its action, then FIRED (or FAILED when the action was refused).
   */
  async function fire(timer: TimerRecord): Promise<TimerAnswer> {
    requirePending(timer);
    timer.status = 'FIRING';
    const at = iso(Date.now());
    const claimed = await persistence.moveTimerFromPending({ organizationId, timerId: timer.timer_id, to: 'FIRING', patch: { firing_at: at } });
    if (!claimed) {
      timer.status = 'FIRED';
      refuse('TIMER_ALREADY_FIRED', 'the timer was already taken', { timer_id: timer.timer_id });
    }
    let result: Record<string, unknown>;
    try {
      result = await runTimerAction(timer);
      timer.status = 'FIRED';
    } catch (error) {
      if (!(error instanceof ApplicationFailure)) throw error;
      result = { error: error.type, message: error.message };
      timer.status = 'FAILED';
    }
    timer.fired_at = at;
    await persistence.settleTimer({ organizationId, timerId: timer.timer_id, status: timer.status as 'FIRED' | 'FAILED', patch: { fired_at: at, execution_result: result } });
    return timerAnswer(timer, result);
  }

  async function runTimerAction(timer: TimerRecord): Promise<Record<string, unknown>> {
    const action = timer.on_fire as {
      advance_to?: string;
      escalate_tasks?: boolean;
      create_task?: Omit<TaskCreateRequest, 'actor' | 'body'> & { due_in?: string };
      effect?: string | { code: string; with: Record<string, unknown> };
    };
    const result: Record<string, unknown> = {};
    if (action.create_task) {
      const now = Date.now();
      const { due_in, ...template } = action.create_task;
      const task = newTask({ ...template, body: '', due_at: due_in ? iso(now + timerDelayMs({ duration: due_in })) : undefined }, now);
      await persistence.saveTasks({ organizationId, created: [task], updated: [], actorUserId: systemActorId });
      tasks.set(task.task_id, task);
      result.task_created = task.task_id;
    }
    if (action.escalate_tasks) {
      const escalated: string[] = [];
      for (const task of [...tasks.values()].filter((t) => t.state !== 'COMPLETED')) {
        await escalate(task, { actor: systemActor, task_id: task.task_id, reason: `timer ${timer.name}` });
        await saveTask(task, systemActor);
        escalated.push(task.task_id);
      }
      result.tasks_escalated = escalated;
    }
    if (action.effect) {
      const at = iso(Date.now());
      const stepId = uuid4();
      const effect = { effectId: uuid4(), ...refOf(action.effect) };
      await persistence.recordStepNote({
        organizationId,
        instanceId: snapshot.instance_id,
        stepId,
        lineNumber: lineCount + 1,
        at,
        actorUserId: systemActorId,
        lineData: { from: snapshot.current_state, to: snapshot.current_state, by: 'system', actor_user_id: systemActorId, note: 'TIMER', timer: timer.name, effects_queued: [effect.code], effects_failed: [], guards_executed: [], timestamp: at },
        effects: [{ ...effect, instanceId: snapshot.instance_id, stepId }],
      });
      lineCount += 1;
      void runEffect(effect, { step_id: stepId, timer: timer.name }, { ...snapshot });
      result.effect_queued = effect.code;
    }
    if (action.advance_to) {
      const reply = await advance(
        { to_state: action.advance_to, payload: { timer: timer.name }, actor: systemActor, idempotency_key: null, request_hash: `timer:${timer.timer_id}`, correlation_id: null },
        `TIMER ${timer.name}`,
      );
      result.advanced_to = reply.answer.to_state;
      result.instance_advanced = true;
    }
    return result;
  }

  /** The due timers, earliest first. */
  const dueTimers = () =>
    [...timers.values()].filter((t) => t.status === 'PENDING' && Date.parse(t.fire_at) <= Date.now()).sort((a, b) => a.fire_at.localeCompare(b.fire_at));

  async function fireDue(): Promise<void> {
    for (const timer of dueTimers()) {
      if (timer.status !== 'PENDING' || snapshot.status !== 'active' || pause.pausedAtMs !== null) continue;
      await fire(timer).catch((error: unknown) => {
        if (!(error instanceof ApplicationFailure)) throw error;
      });
    }
  }

  setHandler(
    setTimerUpdate,
    (request) =>
      serialize(async () => {
        requireActive();
        const delay = timerDelayMs(request);
        if (!(delay > 0) || delay > maxTimerDelayMs) refuse('INVALID_DURATION', 'the delay must be positive and at most 30 days', { delay_ms: delay });
        const pending = [...timers.values()].filter((t) => t.status === 'PENDING');
        if (pending.length >= maxPendingTimers) refuse('TOO_MANY_TIMERS', `at most ${maxPendingTimers} pending timers per instance`, { current_count: pending.length });
        const name = request.name ?? `timer-${uuid4().slice(0, 8)}`;
        if (pending.some((t) => t.name === name)) refuse('DUPLICATE_TIMER_NAME', `a pending timer is already named ${name}`, { name });
        const now = Date.now();
        const timer: TimerRecord = {
          timer_id: uuid4(),
          instance_id: snapshot.instance_id,
          name,
          fire_at: iso(now + delay),
          on_fire: request.on_fire,
          status: 'PENDING',
          source: 'api',
          on_enter: null,
          set_at: iso(now),
        };
        await persistence.recordTimers({ organizationId, timers: [timer], actorUserId: request.actor.userId });
        timers.set(timer.timer_id, timer);
        wake = true;
        return timerAnswer(timer);
      }),
  );

  setHandler(cancelTimerUpdate, (request) =>
    serialize(async () => {
      let chosen: TimerRecord[];
      if (request.timer_id !== undefined) {
        const timer = findTimer(request.timer_id);
        requirePending(timer);
        chosen = [timer];
      } else if (request.name !== undefined) {
        const named = [...timers.values()].filter((t) => t.name === request.name);
        if (named.length === 0) refuse('TIMER_NOT_FOUND', `no timer named ${request.name}`, { name: request.name });
        chosen = named.filter((t) => t.status === 'PENDING');
        if (chosen.length === 0) refuse('TIMER_ALREADY_FIRED', `the timer ${request.name} is no longer PENDING`, { name: request.name });
      } else {
        chosen = [...timers.values()].filter((t) => t.status === 'PENDING');
        if (chosen.length === 0) refuse('NO_PENDING_TIMERS', 'the instance has no pending timers');
      }
      const at = iso(Date.now());
      for (const timer of chosen) {
        await persistence.moveTimerFromPending({ organizationId, timerId: timer.timer_id, to: 'CANCELLED', patch: { cancelled_at: at, reason: request.reason ?? null } });
        Object.assign(timer, { status: 'CANCELLED', cancelled_at: at, reason: request.reason ?? null });
      }
      wake = true;
      return {
        instance_id: snapshot.instance_id,
        cancelled_count: chosen.length,
        cancelled_timers: chosen.map((t) => ({ timer_id: t.timer_id, name: t.name, was_due_at: t.fire_at })),
      };
    }),
  );

  function requireDueBy(timer: TimerRecord, dueBy: string | undefined): void {
    if (dueBy !== undefined && Date.parse(timer.fire_at) > Date.parse(dueBy)) {
      refuse('TIMER_NOT_DUE', 'the timer is not due yet', { timer_id: timer.timer_id, fire_at: timer.fire_at });
    }
  }

  setHandler(
    fireTimerUpdate,
    (request) =>
      serialize(async () => {
        requireActive();
        requireRunning();
        const timer = findTimer(request.timer_id);
        requireDueBy(timer, request.due_by);
        return fire(timer);
      }),
    {
      validator: (request) => {
        requireRunning();
        const timer = findTimer(request.timer_id);
        requirePending(timer);
        requireDueBy(timer, request.due_by);
      },
    },
  );

  // ---- tasks ---------------------------------------------------------------------------------------

  function findTask(taskId: string): TaskRecord {
    const task = tasks.get(taskId);
    if (!task) refuse('TASK_NOT_FOUND', 'no such task', { task_id: taskId });
    return task;
  }

  const saveTask = (task: TaskRecord, actor: Actor) => persistence.saveTasks({ organizationId, created: [], updated: [task], actorUserId: actor.userId });

  /** Moves the task one step up the hierarchy (or to the named assignee) and raises its priority; the caller saves it. */
  async function escalate(task: TaskRecord, request: { actor: Actor; task_id: string; escalate_to_role?: string; escalate_to_user_id?: string; reason?: string; new_priority?: TaskRecord['priority'] }) {
    if (task.state === 'COMPLETED') refuse('TASK_COMPLETED', 'the task is completed', { task_id: task.task_id });
    if (request.new_priority && priorityRank(request.new_priority) < priorityRank(task.priority)) {
      refuse('INVALID_PRIORITY', `priority only rises: ${task.priority} → ${request.new_priority} is lower`, { current: task.priority });
    }
    let toUser = request.escalate_to_user_id ?? null;
    let toRole = request.escalate_to_role ?? null;
    if (!toUser && !toRole) {
      const manager = task.assignee_user_id ? await persistence.managerOf({ organizationId, userId: task.assignee_user_id }) : null;
      if (manager) toUser = manager;
      else toRole = nextRoleUp(task.assignee_role ?? '') ?? null;
    }
    if (!toUser && !toRole) refuse('NO_ESCALATION_TARGET', 'nobody is above the current assignee', { assignee_role: task.assignee_role });
    const at = iso(Date.now());
    const raised = request.new_priority ?? (priorityRank(task.priority) < priorityRank('urgent') ? (['low', 'medium', 'high', 'urgent'] as const)[priorityRank(task.priority) + 1] : task.priority);
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

  setHandler(
    createTaskUpdate,
    (request) =>
      serialize(async () => {
        requireActive();
        const task = newTask(request, Date.now());
        await persistence.saveTasks({ organizationId, created: [task], updated: [], actorUserId: request.actor.userId });
        tasks.set(task.task_id, task);
        return { task };
      }),
  );

  setHandler(
    claimTaskUpdate,
    (request) =>
      serialize(async () => {
        const task = findTask(request.task_id);
        if (task.state !== 'OPEN') refuse('TASK_NOT_OPEN', `the task is ${task.state}`, { task_state: task.state });
        if (!task.assignee_role) refuse('TASK_ALREADY_ASSIGNED', 'the task is assigned to a person', { assignee_user_id: task.assignee_user_id });
        if (!request.actor.roles.includes(task.assignee_role) && !request.actor.roles.includes('system')) {
          refuse('UNAUTHORIZED_ROLE', `claiming needs the role ${task.assignee_role}`, { assignee_role: task.assignee_role });
        }
        Object.assign(task, { state: 'CLAIMED', assignee_user_id: request.actor.userId, claimed_at: iso(Date.now()) });
        await saveTask(task, request.actor);
        return { task };
      }),
    {
      validator: (request) => {
        const task = findTask(request.task_id);
        if (task.state !== 'OPEN') refuse('TASK_NOT_OPEN', `the task is ${task.state}`, { task_state: task.state });
      },
    },
  );

  setHandler(completeTaskUpdate, (request) =>
    serialize(async () => {
      const task = findTask(request.task_id);
      if (task.state === 'COMPLETED') refuse('TASK_COMPLETED', 'the task is already completed', { task_id: task.task_id });
      const { actor } = request;
      const mayComplete = actor.roles.includes('system') || (task.assignee_user_id ? task.assignee_user_id === actor.userId : actor.roles.includes(task.assignee_role ?? ''));
      if (!mayComplete) refuse('UNAUTHORIZED_ASSIGNEE', 'only the task’s assignee may complete it', { assignee_user_id: task.assignee_user_id, assignee_role: task.assignee_role });
      Object.assign(task, { state: 'COMPLETED', outcome: request.outcome, notes: request.notes ?? null, completed_at: iso(Date.now()), completed_by: actor.userId });
      await saveTask(task, actor);
      if (!request.advance_workflow) return { task };
      try {
        await advance({ to_state: request.advance_workflow.to_state, payload: request.advance_workflow.payload, actor, idempotency_key: null, request_hash: `task:${task.task_id}`, correlation_id: null });
        return { task, workflow_advanced: true };
      } catch (error) {
        if (!(error instanceof ApplicationFailure)) throw error;
        return { task, workflow_advanced: false, warning: { code: error.type ?? 'WORKFLOW_ADVANCE_FAILED', message: error.message } };
      }
    }),
  );

  setHandler(escalateTaskUpdate, (request) =>
    serialize(async () => {
      const task = findTask(request.task_id);
      await escalate(task, request);
      await saveTask(task, request.actor);
      return { task };
    }),
  );

  function overdueRefusal(task: TaskRecord, asOfMs: number): void {
    requireActive();
    requireRunning();
    if (task.state === 'COMPLETED') refuse('TASK_COMPLETED', 'the task is completed', { task_id: task.task_id });
    if (overdueLevel(task.due_at, asOfMs) <= (task.overdue_level ?? 0)) {
      refuse('NOTHING_DUE', 'no overdue level is newly due for this task', { task_id: task.task_id, overdue_level: task.overdue_level ?? 0 });
    }
  }

  /** One escalation up the hierarchy per overdue level newly reached, each announced once (level 2 to operations). */
  async function escalateOverdue(request: OverdueTaskRequest): Promise<OverdueTaskAnswer> {
    const task = findTask(request.task_id);
    const asOfMs = Date.parse(request.as_of);
    overdueRefusal(task, asOfMs);
    const target = overdueLevel(task.due_at, asOfMs);
    const escalated: number[] = [];
    const notices: NewNotification[] = [];
    for (let level = (task.overdue_level ?? 0) + 1; level <= target; level += 1) {
      try {
        await escalate(task, { actor: systemActor, task_id: task.task_id, reason: `overdue by ${overdueTaskTiersMs[level - 1] / 3_600_000} h` });
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
    await persistence.saveTasks({ organizationId, created: [], updated: [task], actorUserId: systemActorId, notifications: notices });
    return { task, escalated_levels: escalated, notifications: notices.length };
  }

  setHandler(escalateOverdueTaskUpdate, (request) => serialize(() => escalateOverdue(request)), {
    validator: (request) => overdueRefusal(findTask(request.task_id), Date.parse(request.as_of)),
  });

  // ---- operator commands ---------------------------------------------------------------------------

  /** Writes an operator command's step note and header change in one transaction (audited here for signals). */
  async function recordNote(
    note: string,
    command: AdminCommand,
    details: Record<string, unknown>,
    headerPatch: Record<string, unknown>,
    extra: { timersRewritten?: Array<{ timer_id: string; fire_at: string }>; tasksUpdated?: TaskRecord[]; notifications?: NewNotification[]; procedure: string },
  ): Promise<string> {
    const at = iso(Date.now());
    const actorUserId = uuidPattern.test(command.actor) ? command.actor : systemActorId;
    await persistence.recordAdminChange({
      organizationId,
      instanceId: snapshot.instance_id,
      stepId: uuid4(),
      lineNumber: lineCount + 1,
      at,
      actorUserId,
      lineData: { from: snapshot.current_state, to: snapshot.current_state, by: null, actor_user_id: actorUserId, actor: command.actor, note, reason: command.reason ?? null, ...details, effects_failed: [], guards_executed: [], effects_queued: [], timestamp: at },
      headerPatch,
      status: snapshot.status,
      timersRewritten: extra.timersRewritten ?? [],
      tasksUpdated: extra.tasksUpdated ?? [],
      notifications: extra.notifications ?? [],
      audit: command.via_api ? null : auditOf(extra.procedure, command, 'SUCCESS', null),
    });
    lineCount += 1;
    snapshot.updated_at = at;
    return at;
  }

  function auditOf(procedure: string, command: AdminCommand, outcome: 'SUCCESS' | 'REFUSED', errorCode: string | null) {
    return {
      event_id: uuid4(),
      procedure_code: procedure,
      outcome,
      error_code: errorCode,
      actor_user_id: uuidPattern.test(command.actor) ? command.actor : systemActorId,
      actor: command.actor,
      instance_id: snapshot.instance_id,
      reason: command.reason ?? null,
      correlation_id: null,
      source: 'signal' as const,
    };
  }

  function pauseRefusal(): void {
    requireActive();
    if (pause.pausedAtMs !== null) refuse('INSTANCE_ALREADY_PAUSED', 'the instance is already paused', { paused_at: snapshot.paused_at ?? null });
  }

  async function doPause(command: AdminCommand): Promise<PauseAnswer> {
    pauseRefusal();
    const now = Date.now();
    Object.assign(pause, { pausedAtMs: now, reason: command.reason ?? null, by: command.actor });
    Object.assign(snapshot, { paused: true, paused_at: iso(now), pause_reason: command.reason ?? null, paused_by: command.actor });
    wake = true;
    upsertSearchAttributes([{ key: heraPaused, value: true }]);
    await recordNote('PAUSE', command, {}, { paused: true, paused_at: snapshot.paused_at, pause_reason: snapshot.pause_reason, paused_by: command.actor }, { procedure: 'HERA.UNIV.WF.INSTANCE.PAUSE.V1' });
    return { instance_id: snapshot.instance_id, paused: true, paused_at: snapshot.paused_at!, pause_reason: snapshot.pause_reason ?? null, paused_by: command.actor };
  }

  function resumeRefusal(): void {
    requireActive();
    if (pause.pausedAtMs === null) refuse('INSTANCE_NOT_PAUSED', 'the instance is not paused');
  }

  /**
   * Ends the pause: every PENDING timer keeps its remaining time (deadline rewritten), the SLA moves later, and so
   * do the due times of open tasks (their overdue levels are counted in unpaused time too).
   */
  async function doResume(command: AdminCommand): Promise<ResumeAnswer> {
    resumeRefusal();
    const now = Date.now();
    const pausedAtMs = pause.pausedAtMs!;
    const pausedMs = now - pausedAtMs;
    const rearmed = [...timers.values()]
      .filter((t) => t.status === 'PENDING')
      .map((t) => {
        const armedAt = Math.max(pausedAtMs, t.set_at ? Date.parse(t.set_at) : pausedAtMs);
        t.fire_at = iso(Date.parse(t.fire_at) + (now - armedAt));
        return { timer_id: t.timer_id, name: t.name, fire_at: t.fire_at };
      });
    const tasksMoved = [...tasks.values()]
      .filter((t) => t.state !== 'COMPLETED')
      .map((t) => {
        const shift = now - Math.max(pausedAtMs, Date.parse(t.created_at));
        const due = t.due_at ? iso(Date.parse(t.due_at) + shift) : null;
        Object.assign(t, { due_at: due, sla_at: iso(Date.parse(t.sla_at) + shift), overdue_check_at: nextOverdueCheck(due, t.overdue_level ?? 0) });
        return t;
      });
    Object.assign(pause, { pausedAtMs: null, reason: null, by: null, totalMs: pause.totalMs + pausedMs });
    const slaAt = snapshot.sla_at ? iso(Date.parse(snapshot.sla_at) + pausedMs) : null;
    Object.assign(snapshot, { paused: false, paused_at: null, pause_reason: null, paused_by: null, sla_at: slaAt });
    wake = true;
    upsertSearchAttributes([{ key: heraPaused, value: false }, ...(slaAt ? [{ key: heraSlaAt, value: new Date(slaAt) }] : [])]);
    const at = await recordNote(
      'RESUME',
      command,
      { pause_duration_seconds: pausedMs / 1000, timers_rearmed: rearmed },
      { paused: false, paused_at: null, pause_reason: null, paused_by: null, resumed_at: iso(now), resumed_by: command.actor, sla_at: slaAt, sla_check_at: nextSlaCheck(slaClock()), pause_total_ms: pause.totalMs },
      { timersRewritten: rearmed, tasksUpdated: tasksMoved, procedure: 'HERA.UNIV.WF.INSTANCE.RESUME.V1' },
    );
    return { instance_id: snapshot.instance_id, paused: false, resumed_at: at, resumed_by: command.actor, pause_duration_seconds: pausedMs / 1000, sla_at: slaAt, timers_rearmed: rearmed };
  }

  async function reassignRefusal(command: ReassignCommand): Promise<void> {
    requireActive();
    if ((command.owner_team === undefined) === (command.owner_user_id === undefined)) {
      refuse('INVALID_OWNER_ASSIGNMENT', 'give exactly one of owner_team or owner_user_id');
    }
    if (command.owner_team !== undefined && !(await persistence.directoryHas({ organizationId, team: command.owner_team }))) {
      refuse('TEAM_NOT_FOUND', `no team ${command.owner_team}`, { owner_team: command.owner_team });
    }
    if (command.owner_user_id !== undefined && !(await persistence.directoryHas({ organizationId, userId: command.owner_user_id }))) {
      refuse('USER_NOT_FOUND', 'no such user in the directory', { owner_user_id: command.owner_user_id });
    }
  }

  async function doReassign(command: ReassignCommand): Promise<ReassignAnswer> {
    await reassignRefusal(command);
    const previous = { owner_team: snapshot.owner_team, owner_user_id: snapshot.owner_user_id };
    Object.assign(snapshot, { owner_team: command.owner_team ?? null, owner_user_id: command.owner_user_id ?? null });
    upsertSearchAttributes([{ key: heraOwner, value: command.owner_team ?? command.owner_user_id! }]);
    const at = await recordNote(
      'REASSIGN',
      command,
      { previous_owner: previous, new_owner: { owner_team: snapshot.owner_team, owner_user_id: snapshot.owner_user_id } },
      { owner_team: snapshot.owner_team, owner_user_id: snapshot.owner_user_id, reassigned_at: iso(Date.now()), reassigned_by: command.actor },
      { procedure: 'HERA.UNIV.WF.INSTANCE.REASSIGN.V1' },
    );
    return { instance_id: snapshot.instance_id, owner_team: snapshot.owner_team, owner_user_id: snapshot.owner_user_id, reassigned_at: at, reassigned_by: command.actor };
  }

  /** Signals cannot answer: a refused one is audited with its reason and otherwise ignored. */
  function fromSignal<C extends AdminCommand>(procedure: string, work: (command: C) => Promise<unknown>) {
    return (command: C) =>
      void serialize(async () => {
        const cmd = { ...command, actor: String(command?.actor ?? 'temporal-ui'), via_api: false };
        try {
          await work(cmd);
        } catch (error) {
          if (!(error instanceof ApplicationFailure)) throw error;
          await persistence.recordAudit({ organizationId, event: auditOf(procedure, cmd, 'REFUSED', error.type ?? null) });
        }
      });
  }

  setHandler(pauseUpdate, (command) => serialize(() => doPause(command)), { validator: (_command) => pauseRefusal() });
  setHandler(resumeUpdate, (command) => serialize(() => doResume(command)), { validator: (_command) => resumeRefusal() });
  setHandler(reassignUpdate, (command) => serialize(() => doReassign(command)), { validator: (_command) => requireActive() });
  setHandler(pauseSignal, fromSignal('HERA.UNIV.WF.INSTANCE.PAUSE.V1', doPause));
  setHandler(resumeSignal, fromSignal('HERA.UNIV.WF.INSTANCE.RESUME.V1', doResume));
  setHandler(reassignSignal, fromSignal('HERA.UNIV.WF.INSTANCE.REASSIGN.V1', doReassign));

  setHandler(slaRecalcUpdate, (request) =>
    serialize(async () => {
      requireActive();
      const hours = request.sla_override_hours ?? definition.sla_hours;
      if (hours === undefined) refuse('NO_SLA_RULES', `${definition.code} has no SLA and no override was given`);
      // The SLA clock excludes completed pauses; a pause in progress is added when it ends.
      const newSla = iso(Date.parse(snapshot.created_at) + hours * 3_600_000 + pause.totalMs);
      const previous = snapshot.sla_at;
      slaDurationMs = Math.round(hours * 3_600_000);
      Object.assign(snapshot, { sla_at: newSla, sla_warning_level: 0, sla_escalation_level: 0, sla_escalated_at: null });
      upsertSearchAttributes([{ key: heraSlaAt, value: new Date(newSla) }]);
      const pauseHours = pause.totalMs / 3_600_000;
      const at = await recordNote(
        'SLA_RECALC',
        request,
        { previous_sla: previous, new_sla: newSla, pause_time_hours: pauseHours, sla_hours: hours },
        {
          sla_at: newSla,
          sla_recalc_at: iso(Date.now()),
          sla_duration_ms: slaDurationMs,
          sla_warning_level: 0,
          sla_escalation_level: 0,
          sla_escalated_at: null,
          sla_check_at: nextSlaCheck(slaClock()),
        },
        { procedure: 'HERA.UNIV.WF.INSTANCE.SLA.RECALC.V1' },
      );
      return { instance_id: snapshot.instance_id, previous_sla_at: previous, new_sla_at: newSla, pause_time_hours: pauseHours, sla_recalc_at: at };
    }),
  );

  setHandler(reassignTaskUpdate, (request) =>
    serialize(async () => {
      const task = findTask(request.task_id);
      const { actor } = request;
      const privileged = actor.roles.includes('admin') || actor.roles.includes('system');
      if (!privileged && task.assignee_user_id !== actor.userId) {
        refuse('PERMISSION_DENIED', 'only an admin or the task’s assignee may reassign it', { assignee_user_id: task.assignee_user_id });
      }
      if (task.state === 'COMPLETED') refuse('TASK_COMPLETED', 'the task is completed', { task_id: task.task_id });
      if ((request.assignee_role === undefined) === (request.assignee_user_id === undefined)) {
        refuse('INVALID_ASSIGNEE', 'give exactly one of assignee_role or assignee_user_id');
      }
      if (request.assignee_role !== undefined && !(await persistence.directoryHas({ organizationId, role: request.assignee_role }))) {
        refuse('ROLE_NOT_FOUND', `nobody in the directory holds the role ${request.assignee_role}`, { assignee_role: request.assignee_role });
      }
      if (request.assignee_user_id !== undefined && !(await persistence.directoryHas({ organizationId, userId: request.assignee_user_id }))) {
        refuse('USER_NOT_FOUND', 'no such user in the directory', { assignee_user_id: request.assignee_user_id });
      }
      const previous = { assignee_role: task.assignee_role, assignee_user_id: task.assignee_user_id, state: task.state };
      Object.assign(task, {
        assignee_role: request.assignee_role ?? null,
        assignee_user_id: request.assignee_user_id ?? null,
        state: 'OPEN',
        claimed_at: null,
        reassigned_at: iso(Date.now()),
        reassigned_by: actor.userId,
      });
      await recordNote(
        'TASK_REASSIGN',
        { actor: actor.userId, reason: request.reason, via_api: true },
        { task_id: task.task_id, previous, assignee_role: task.assignee_role, assignee_user_id: task.assignee_user_id },
        {},
        { tasksUpdated: [task], procedure: 'HERA.UNIV.WF.TASK.REASSIGN.V1' },
      );
      return { task };
    }),
  );

  // ---- the SLA sweep -------------------------------------------------------------------------------

  function slaRefusal(request: SlaCheckRequest): void {
    requireActive();
    requireRunning();
    if (!slaDecision(slaClock(), Date.parse(request.as_of)).changed) {
      refuse('NOTHING_DUE', 'no SLA level is newly due', { sla_at: snapshot.sla_at, sla_warning_level: snapshot.sla_warning_level ?? 0, sla_escalation_level: snapshot.sla_escalation_level ?? 0 });
    }
  }

  const ownerRecipient = () => (snapshot.owner_user_id ? { user_id: snapshot.owner_user_id } : { team: snapshot.owner_team });

  /** Who hears of a breach level: the owner, then the owner's manager, then the operations team. */
  async function breachRecipient(level: number, request: SlaCheckRequest): Promise<Record<string, unknown>> {
    switch (breachTiers[level - 1].recipient) {
      case 'owner':
        return ownerRecipient();
      case 'owner_manager': {
        const manager = snapshot.owner_user_id ? await persistence.managerOf({ organizationId, userId: snapshot.owner_user_id }) : null;
        return manager ? { user_id: manager } : { role: 'manager', team: snapshot.owner_team };
      }
      default:
        return { team: request.operations_team };
    }
  }

  /** Records the SLA levels due at `as_of` with their notices, in one transaction with a step note. */
  async function checkSla(request: SlaCheckRequest): Promise<SlaCheckAnswer> {
    slaRefusal(request);
    const asOfMs = Date.parse(request.as_of);
    const decision = slaDecision(slaClock(), asOfMs);
    const subject = { instance_id: snapshot.instance_id, definition_code: definition.code, sla_at: snapshot.sla_at! };
    const notices: NewNotification[] = [];
    if (decision.warn !== null) notices.push(slaWarningNotice(subject, decision.warn, ownerRecipient()));
    for (const level of decision.escalate) notices.push(slaBreachNotice(subject, level, await breachRecipient(level, request), asOfMs));
    Object.assign(snapshot, {
      sla_warning_level: decision.warningLevel,
      sla_escalation_level: decision.escalationLevel,
      ...(decision.escalate.length ? { sla_escalated_at: iso(Date.now()) } : {}),
    });
    await recordNote(
      decision.escalate.length ? 'SLA_ESCALATION' : 'SLA_WARNING',
      { actor: systemActorId, via_api: true },
      { as_of: request.as_of, sla_at: snapshot.sla_at, warning_level: decision.warningLevel, escalation_level: decision.escalationLevel, notified: notices.map((n) => n.recipient) },
      {
        sla_warning_level: decision.warningLevel,
        sla_escalation_level: decision.escalationLevel,
        sla_escalated_at: snapshot.sla_escalated_at ?? null,
        sla_check_at: nextSlaCheck(slaClock()),
      },
      { notifications: notices, procedure: 'HERA.UNIV.WF.SCHEDULER.V1' },
    );
    return {
      instance_id: snapshot.instance_id,
      sla_warning_level: decision.warningLevel,
      sla_escalation_level: decision.escalationLevel,
      warned: decision.warn !== null,
      escalated_levels: decision.escalate,
      notifications: notices.length,
    };
  }

  setHandler(checkSlaUpdate, (request) => serialize(() => checkSla(request)), { validator: slaRefusal });

  setHandler(retryEffectsUpdate, async (request) => {
    const answer = await retryStepEffects(organizationId, request, effectRetry(definition));
    await serialize(() =>
      recordNote('EFFECT_RETRY', { actor: request.actor.userId, via_api: true }, { retried_step_id: request.step_id, ...answer }, {}, { procedure: 'HERA.UNIV.WF.EFFECT.RETRY.V1' }),
    );
    return answer;
  });

  // ---- the run -------------------------------------------------------------------------------------

  if (!carried) {
    upsertSearchAttributes([
      { key: heraOrganizationId, value: organizationId },
      { key: heraDefinitionCode, value: definition.code },
      { key: heraState, value: state },
      { key: heraPaused, value: false },
      { key: heraOwner, value: input.actor.userId },
      ...(snapshot.sla_at ? [{ key: heraSlaAt, value: new Date(snapshot.sla_at) }] : []),
    ]);
    const active = snapshot.status === 'active';
    const timersSet = active ? timersOnEnter(state, startedMs) : [];
    const tasksCreated = active ? tasksOnEnter(state, startedMs) : [];
    await persistence.createInstanceRecord({
      snapshot,
      stepId: uuid4(),
      actorUserId: input.actor.userId,
      actorRole: input.actor.roles[0] ?? null,
      correlationId: input.correlationId,
      requestHash: input.requestHash,
      timersSet,
      tasksCreated,
      sla: { duration_ms: slaDurationMs, check_at: nextSlaCheck(slaClock()) },
    });
    for (const timer of timersSet) timers.set(timer.timer_id, timer);
    for (const task of tasksCreated) tasks.set(task.task_id, task);
    created = true;
  }

  const historyTooLong = () =>
    workflowInfo().continueAsNewSuggested || (input.historyLimit !== undefined && workflowInfo().historyLength > input.historyLimit);

  // Fire timers when due; live until a terminal state and settled effects; continue as new when history grows.
  // Each exit test is also a wake-up condition, so the loop never spins on a condition that is already true.
  const done = () => snapshot.status !== 'active' && pendingEffects === 0 && allHandlersFinished();
  const rollOver = () => historyTooLong() && pendingEffects === 0;
  for (;;) {
    if (done()) return snapshot;
    if (rollOver()) break;
    const next =
      pause.pausedAtMs !== null
        ? Infinity
        : [...timers.values()].filter((t) => t.status === 'PENDING').reduce((min, t) => Math.min(min, Date.parse(t.fire_at)), Infinity);
    const wakeUp = () => wake || done() || rollOver();
    if (next === Infinity) await condition(wakeUp);
    else await condition(wakeUp, Math.max(1, next - Date.now()));
    wake = false;
    if (snapshot.status === 'active' && pause.pausedAtMs === null && dueTimers().length) await serialize(fireDue);
  }
  await condition(allHandlersFinished);
  return continueAsNew<typeof instanceWorkflow>({
    ...input,
    carried: {
      snapshot,
      createdAnswer,
      createdReplies,
      lineCount,
      stateEnteredAt,
      timers: [...timers.values()].filter((t) => t.status === 'PENDING' || t.status === 'FIRING'),
      tasks: [...tasks.values()],
      answers: [...answers.entries()].slice(-200),
      pause,
      slaDurationMs,
    },
  });
}
