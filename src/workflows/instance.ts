import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
} from '@temporalio/workflow';
import type { HeraActivities } from '../activities';
import {
  heraDefinitionCode,
  heraOrganizationId,
  heraOwner,
  heraPaused,
  heraSlaAt,
  heraState,
} from '../temporal/searchAttributes';
import { chooseTransition, effectRetry, initialState, isTerminal, slaDeadline } from './machine';
import {
  advanceUpdate,
  awaitCreatedUpdate,
  snapshotQuery,
  type AdvanceAnswer,
  type AdvanceReply,
  type AdvanceRequest,
  type InstanceInput,
  type InstanceSnapshot,
} from './messages';

/** Persistence retries until the database answers: a transition is never dropped because it was down. */
const persistence = proxyActivities<HeraActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

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

/**
 * One HERA workflow instance: the only writer of its records, so every change to it is serialized here.
 */
export async function instanceWorkflow(input: InstanceInput): Promise<InstanceSnapshot> {
  const { definition, organizationId } = input;
  let state: string;
  try {
    state = initialState(definition, input.initialState);
  } catch (error) {
    refuse('INVALID_STATE', (error as Error).message);
  }
  const startedAt = new Date(Date.now()).toISOString();
  const snapshot: InstanceSnapshot = {
    instance_id: input.instanceId,
    organization_id: organizationId,
    definition_code: definition.code,
    definition_version: definition.version,
    current_state: state,
    subject_ref: input.subjectRef,
    context: input.context,
    status: isTerminal(definition, state) ? 'completed' : 'active',
    paused: false,
    owner_team: null,
    owner_user_id: input.actor.userId,
    sla_at: slaDeadline(definition, Date.now()),
    created_at: startedAt,
    updated_at: startedAt,
  };
  const createdAnswer = { ...snapshot };
  let created = false;
  let createdReplies = 0;
  let lineCount = 1;
  let stateEnteredAt = Date.now();
  let pendingEffects = 0;
  const answers = new Map<string, { requestHash: string; answer: AdvanceAnswer }>();
  const serialize = serializer();
  const effects = proxyActivities<HeraActivities>({ startToCloseTimeout: '2m', retry: effectRetry(definition) });

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

  /** Throws the refusal an advance meets in the current state, or answers a replay; undefined = go ahead. */
  function precheck(request: AdvanceRequest): AdvanceReply | undefined {
    if (request.idempotency_key) {
      const prior = answers.get(request.idempotency_key);
      if (prior && prior.requestHash !== request.request_hash) {
        refuse('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for another request');
      }
      if (prior) return { answer: prior.answer, replayed: true };
    }
    if (snapshot.status !== 'active') {
      refuse('INSTANCE_FINALIZED', `the instance is in its terminal state ${snapshot.current_state}`, {
        current_state: snapshot.current_state,
      });
    }
    const choice = chooseTransition(definition, snapshot.current_state, request.to_state, request.actor.roles, request.actor_role);
    if (!choice.ok) refuse(choice.code, choice.message, choice.details);
    return undefined;
  }

  async function advance(request: AdvanceRequest): Promise<AdvanceReply> {
    const replay = precheck(request);
    if (replay) return replay;
    const choice = chooseTransition(definition, snapshot.current_state, request.to_state, request.actor.roles, request.actor_role);
    if (!choice.ok) refuse(choice.code, choice.message, choice.details);
    const { transition, actorRole } = choice;
    const now = Date.now();
    const at = new Date(now).toISOString();
    const stepId = uuid4();
    const queued = transition.effects.map((ref) => ({
      effectId: uuid4(),
      code: typeof ref === 'string' ? ref : ref.code,
      params: typeof ref === 'string' ? {} : ref.with,
    }));
    const status = isTerminal(definition, transition.to) ? 'completed' : 'active';
    const answer: AdvanceAnswer = {
      instance_id: snapshot.instance_id,
      from_state: transition.from,
      to_state: transition.to,
      current_state: transition.to,
      transitioned_at: at,
      step_id: stepId,
      guards_executed: transition.guards.map((g) => (typeof g === 'string' ? g : g.code)),
      effects_queued: queued.map((e) => e.code),
      timers_set: [],
      timers_cancelled: [],
    };
    const lineData = {
      from: transition.from,
      to: transition.to,
      by: actorRole,
      actor_user_id: request.actor.userId,
      payload: request.payload,
      note: null,
      guards_executed: answer.guards_executed,
      effects_queued: answer.effects_queued,
      effects_failed: [],
      duration_ms: now - stateEnteredAt,
      correlation_id: request.correlation_id,
      request_hash: request.request_hash,
      ...(request.idempotency_key ? { idem_key: request.idempotency_key } : {}),
      response: answer,
      timestamp: at,
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
      lineData,
      headerPatch: { current_state: transition.to },
      status,
      effects: queued.map((e) => ({ ...e, instanceId: snapshot.instance_id, stepId })),
    });
    if (!outcome.applied) {
      const failed = outcome.guards.find((g) => !g.passed);
      refuse('GUARD_FAILED', `guard ${failed?.code} failed: ${failed?.reason}`, { guards: outcome.guards });
    }
    lineCount += 1;
    stateEnteredAt = now;
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

  upsertSearchAttributes([
    { key: heraOrganizationId, value: organizationId },
    { key: heraDefinitionCode, value: definition.code },
    { key: heraState, value: state },
    { key: heraPaused, value: false },
    { key: heraOwner, value: input.actor.userId },
    ...(snapshot.sla_at ? [{ key: heraSlaAt, value: new Date(snapshot.sla_at) }] : []),
  ]);

  await persistence.createInstanceRecord({
    snapshot,
    stepId: uuid4(),
    actorUserId: input.actor.userId,
    actorRole: input.actor.roles[0] ?? null,
    correlationId: input.correlationId,
    requestHash: input.requestHash,
  });
  created = true;

  // The instance lives until a terminal state and until its effects have settled.
  await condition(() => snapshot.status !== 'active' && pendingEffects === 0 && allHandlersFinished());
  return snapshot;
}
