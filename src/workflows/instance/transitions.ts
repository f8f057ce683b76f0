import { uuid4 } from '@temporalio/workflow';
import { isTerminal, iso } from '../machine';
import type { AdvanceAnswer, AdvanceReply, AdvanceRequest } from '../messages';
import { advanceCheck, refuse } from './checks';
import type { InstanceContext } from './context';
import { refOf, runEffect } from './effects';
import { onEnter, type StateEntry } from './records';

/**
 * What moving to `to` at `nowMs` changes, for a transition and an operator's move alike: every PENDING timer is
 * cancelled, the state entered sets up its timers and tasks (none in a terminal state, which completes the instance).
 */
export function stateChange({ definition, state }: InstanceContext, to: string, nowMs: number): StateEntry {
  const status = isTerminal(definition, to) ? 'completed' : 'active';
  const entered = status === 'active' ? onEnter(definition, state.snapshot.instance_id, to, nowMs, state.workCalendar) : { timersSet: [], tasksCreated: [] };
  return { to, status, at: iso(nowMs), nowMs, cancelled: state.pendingTimers(), ...entered };
}

/**
 * One transition: guards run in the persistence activity's transaction with the step line, the header, the
 * timers cancelled on exit and the timers and tasks of the state entered; then the effects start.
 */
export async function advance(ctx: InstanceContext, request: AdvanceRequest, note: string | null = null): Promise<AdvanceReply> {
  const checked = advanceCheck(ctx, request);
  if ('replay' in checked) return checked.replay;
  const { organizationId, state, acts } = ctx;
  const { transition, actorRole } = checked.choice;
  const instanceId = state.snapshot.instance_id;
  const now = Date.now();
  const stepId = uuid4();
  const queued = transition.effects.map((ref) => ({ effectId: uuid4(), ...refOf(ref) }));
  const entry = stateChange(ctx, transition.to, now);
  const { at, status, cancelled, timersSet, tasksCreated } = entry;
  const answer: AdvanceAnswer = {
    instance_id: instanceId,
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
  const outcome = await acts.records.applyTransition.executeWithOptions({ summary: `persist ${transition.from} → ${transition.to}` }, [{
    organizationId,
    instanceId,
    guards: transition.guards,
    context: state.snapshot.context,
    stepId,
    lineNumber: state.nextLine,
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
      duration_ms: state.timeInStateMs(now),
      // What the metrics' time in state groups by, without reading the instance.
      definition_code: ctx.definition.code,
      correlation_id: request.correlation_id,
      request_hash: request.request_hash,
      ...(request.idempotency_key ? { idem_key: request.idempotency_key } : {}),
      response: answer,
      timestamp: at,
    },
    headerPatch: { current_state: transition.to },
    status,
    effects: queued.map((e) => ({ ...e, instanceId, stepId })),
    timersCancelled: cancelled.map((t) => t.timer_id),
    timersSet,
    tasksCreated,
  }]);
  if (!outcome.applied) {
    const failed = outcome.guards.find((g) => !g.passed);
    refuse('GUARD_FAILED', `guard ${failed?.code} failed: ${failed?.reason}`, { guards: outcome.guards });
  }
  state.enterState(entry);
  if (request.idempotency_key) state.answers.set(request.idempotency_key, { requestHash: request.request_hash, answer });
  const step = { step_id: stepId, from_state: transition.from, to_state: transition.to, actor_role: actorRole, payload: request.payload, transitioned_at: at };
  for (const effect of queued) void runEffect(ctx, effect, step, { ...state.snapshot });
  return { answer, replayed: false };
}
