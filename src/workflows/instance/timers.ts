import { patched, uuid4 } from '@temporalio/workflow';
import { actorLabel, actorOf, systemActor, systemActorId, type Actor } from '../../domain/actor';
import type { TimerRecord } from '../../domain/timer';
import { iso } from '../machine';
import type { TimerAnswer, TimerCancelAnswer, TimerCancelRequest, TimerCommand, TimerSetRequest } from '../messages';
import { cancelChoice, fireCheck, refusalOf, refuse, requirePending, requireUniqueTimerName, setTimerCheck, timerActor, type TimerAction } from './checks';
import type { InstanceContext } from './context';
import { refOf, runEffect } from './effects';
import { newTimer, templateTask } from './records';
import { addTask, escalateOpenTasks } from './tasks';
import { advance } from './transitions';

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

/**
 * Timers act with their setter's roles (and an operator's early fire with the operator's): histories recorded
 * before that rule keep acting as the system when replayed.
 */
const setterRulePatch = 'timer-acts-as-setter';

export async function setTimer(ctx: InstanceContext, request: TimerSetRequest): Promise<TimerAnswer> {
  const setterRule = patched(setterRulePatch);
  const delay = setTimerCheck(ctx, request, setterRule);
  const name = request.name ?? requireUniqueTimerName(ctx.state, `timer-${uuid4().slice(0, 8)}`);
  const now = Date.now();
  const timer = newTimer(ctx.state.snapshot.instance_id, { name, fire_at: iso(now + delay), on_fire: request.on_fire, source: 'api', on_enter: null }, now);
  if (setterRule) timer.set_by = actorOf(request.actor);
  await ctx.acts.timers.recordTimers({ organizationId: ctx.organizationId, timers: [timer], actorUserId: request.actor.userId });
  ctx.state.addTimers([timer]);
  return timerAnswer(timer);
}

export async function cancelTimers(ctx: InstanceContext, request: TimerCancelRequest): Promise<TimerCancelAnswer> {
  const chosen = cancelChoice(ctx.state, request);
  const at = iso(Date.now());
  const reason = request.reason ?? null;
  for (const timer of chosen) {
    await ctx.acts.timers.moveTimerFromPending({ organizationId: ctx.organizationId, timerId: timer.timer_id, to: 'CANCELLED', patch: { cancelled_at: at, reason } });
  }
  // Once all are written: a wake between two of them would let the loop start a timer that older histories lack.
  ctx.state.cancelTimers(chosen, at, reason);
  return {
    instance_id: ctx.state.snapshot.instance_id,
    cancelled_count: chosen.length,
    cancelled_timers: chosen.map((t) => ({ timer_id: t.timer_id, name: t.name, was_due_at: t.fire_at })),
  };
}

/** An operator's (or the sweep's) fire of one PENDING timer, now. */
export async function fireTimer(ctx: InstanceContext, request: TimerCommand): Promise<TimerAnswer> {
  const setterRule = patched(setterRulePatch);
  const timer = fireCheck(ctx, request, setterRule);
  return fire(ctx, timer, setterRule ? timerActor(timer, request) : systemActor);
}

/**
 * Fires one PENDING timer at most once: taken in memory first, then PENDING → FIRING in the database (a
 * guarded change), then its action, then FIRED (or FAILED when the action was refused).
 */
async function fire(ctx: InstanceContext, timer: TimerRecord, actor: Actor): Promise<TimerAnswer> {
  requirePending(timer);
  const { acts, organizationId } = ctx;
  timer.status = 'FIRING';
  const at = iso(Date.now());
  const claim = { organizationId, timerId: timer.timer_id, to: 'FIRING' as const, patch: { firing_at: at } };
  const claimed = await acts.timers.moveTimerFromPending.executeWithOptions({ summary: `fire timer ${timer.name}` }, [claim]);
  if (!claimed) {
    timer.status = 'FIRED';
    refuse('TIMER_ALREADY_FIRED', 'the timer was already taken', { timer_id: timer.timer_id });
  }
  let result: Record<string, unknown>;
  try {
    result = await runTimerAction(ctx, timer, actor);
    timer.status = 'FIRED';
  } catch (error) {
    // A refused action, or one whose change the database refused for good: the timer FAILS, the instance goes on.
    const refusal = refusalOf(error);
    if (!refusal) throw error;
    result = { error: refusal.type, message: refusal.message };
    timer.status = 'FAILED';
  }
  timer.fired_at = at;
  const settle = { organizationId, timerId: timer.timer_id, status: timer.status as 'FIRED' | 'FAILED', patch: { fired_at: at, execution_result: result } };
  await acts.timers.settleTimer.executeWithOptions({ summary: `settle timer ${timer.name} ${timer.status}` }, [settle]);
  return timerAnswer(timer, result);
}

async function runTimerAction(ctx: InstanceContext, timer: TimerRecord, actor: Actor): Promise<Record<string, unknown>> {
  const { state } = ctx;
  const action = timer.on_fire as TimerAction;
  const result: Record<string, unknown> = {};
  if (action.create_task) {
    const task = await addTask(ctx, templateTask(action.create_task, Date.now(), state.workCalendar), actor);
    result.task_created = task.task_id;
  }
  if (action.escalate_tasks) result.tasks_escalated = await escalateOpenTasks(ctx, `timer ${timer.name}`, actor);
  if (action.effect) {
    const at = iso(Date.now());
    const stepId = uuid4();
    const effect = { effectId: uuid4(), ...refOf(action.effect) };
    const { current_state: current, instance_id: instanceId } = state.snapshot;
    await ctx.acts.records.recordStepNote({
      organizationId: ctx.organizationId,
      instanceId,
      stepId,
      lineNumber: state.nextLine,
      at,
      actorUserId: actor.userId,
      lineData: { from: current, to: current, by: actor.userId === systemActorId ? 'system' : actorLabel(actor), actor_user_id: actor.userId, note: 'TIMER', timer: timer.name, effects_queued: [effect.code], effects_failed: [], guards_executed: [], timestamp: at },
      effects: [{ ...effect, instanceId, stepId }],
    });
    state.appendStep();
    void runEffect(ctx, effect, { step_id: stepId, timer: timer.name }, { ...state.snapshot });
    result.effect_queued = effect.code;
  }
  if (action.advance_to) {
    const reply = await advance(
      ctx,
      { to_state: action.advance_to, payload: { timer: timer.name }, actor, idempotency_key: null, request_hash: `timer:${timer.timer_id}`, correlation_id: null },
      `TIMER ${timer.name}`,
    );
    result.advanced_to = reply.answer.to_state;
    result.instance_advanced = true;
  }
  return result;
}

/** The timer loop's work: every due timer, earliest first, while the instance runs. A refused action is settled. */
export async function fireDue(ctx: InstanceContext): Promise<void> {
  const { state } = ctx;
  for (const timer of state.dueTimers(Date.now())) {
    if (timer.status !== 'PENDING' || !state.active || state.paused) continue;
    await fire(ctx, timer, timerActor(timer)).catch((error: unknown) => {
      if (!refusalOf(error)) throw error;
    });
  }
}
