import type { PinnedDefinition } from '../definitions/schema';
import type { Priority } from '../domain/task';

/** Pure state-machine decisions over a pinned definition; no I/O, safe inside workflow code. */

export const iso = (ms: number) => new Date(ms).toISOString();

/** The state a new instance begins in (START has already applied `chooseStartState`'s rule to the caller). */
export function initialState(definition: PinnedDefinition, requested?: string): string {
  const state = requested ?? definition.initial_state;
  if (!definition.states.includes(state)) throw new Error(`state ${state} is not in ${definition.code}`);
  return state;
}

export type StartChoice =
  | { ok: true; state: string }
  | { ok: false; code: 'INVALID_STATE' | 'UNAUTHORIZED_ROLE'; message: string; details: Record<string, unknown> };

/**
 * Where a new instance may start: the definition's initial state for anyone who may start it, another state
 * only when `start_states` lists it with one of the caller's roles (so no one starts past an approval), and
 * anywhere for `system`.
 */
export function chooseStartState(definition: PinnedDefinition, requested: string | undefined, callerRoles: readonly string[]): StartChoice {
  const state = requested ?? definition.initial_state;
  if (!definition.states.includes(state)) {
    return { ok: false, code: 'INVALID_STATE', message: `${state} is not a state of ${definition.code}`, details: { initial_state: state, states: definition.states } };
  }
  if (state === definition.initial_state || callerRoles.includes('system')) return { ok: true, state };
  const allowed = definition.start_states.find((s) => s.state === state)?.by ?? [];
  if (allowed.some((role) => callerRoles.includes(role))) return { ok: true, state };
  const starts = [definition.initial_state, ...definition.start_states.map((s) => s.state)];
  return {
    ok: false,
    code: 'UNAUTHORIZED_ROLE',
    message: allowed.length ? `starting ${definition.code} in ${state} needs one of the roles ${allowed.join(', ')}` : `${definition.code} does not start in ${state}; it starts in ${starts.join(', ')}`,
    details: { initial_state: state, allowed_roles: allowed, start_states: starts },
  };
}

export function isTerminal(definition: PinnedDefinition, state: string): boolean {
  return definition.terminal_states.includes(state);
}

/** SLA deadline as a strict ISO-8601 UTC string, or null when the definition has no SLA. */
export function slaDeadline(definition: PinnedDefinition, startedAtMs: number): string | null {
  if (definition.sla_hours === undefined) return null;
  return new Date(startedAtMs + definition.sla_hours * 3_600_000).toISOString();
}

export type Transition = PinnedDefinition['transitions'][number];

export type TransitionChoice =
  | { ok: true; transition: Transition; actorRole: string }
  | { ok: false; code: 'INVALID_TRANSITION' | 'UNAUTHORIZED_ROLE'; message: string; details: Record<string, unknown> };

/**
 * Finds the transition from `from` to `to` and the role the caller acts in: `actorRole` if given (the caller
 * must hold it), else the first of the caller's roles that the transition's `by` lists. `system` may act in any
 * `by` role; `admin` gets no such pass.
 */
export function chooseTransition(
  definition: PinnedDefinition,
  from: string,
  to: string,
  callerRoles: readonly string[],
  actorRole?: string,
): TransitionChoice {
  const transition = definition.transitions.find((t) => t.from === from && t.to === to);
  if (!transition) {
    return {
      ok: false,
      code: 'INVALID_TRANSITION',
      message: `${definition.code} has no transition ${from} → ${to}`,
      details: { from_state: from, to_state: to, allowed: definition.transitions.filter((t) => t.from === from).map((t) => t.to) },
    };
  }
  const isSystem = callerRoles.includes('system');
  const refuse = (message: string): TransitionChoice => ({
    ok: false,
    code: 'UNAUTHORIZED_ROLE',
    message,
    details: { allowed_roles: transition.by, actor_role: actorRole ?? null },
  });
  if (actorRole !== undefined) {
    if (!isSystem && !callerRoles.includes(actorRole)) return refuse(`the token does not hold the role ${actorRole}`);
    if (!transition.by.includes(actorRole)) return refuse(`${from} → ${to} may be done by ${transition.by.join(', ')}, not ${actorRole}`);
    return { ok: true, transition, actorRole };
  }
  const role = transition.by.find((r) => callerRoles.includes(r)) ?? (isSystem ? transition.by[0] : undefined);
  if (!role) return refuse(`${from} → ${to} may be done by ${transition.by.join(', ')}`);
  return { ok: true, transition, actorRole: role };
}

export interface EffectRetry {
  maximumAttempts: number;
  initialInterval: string;
  backoffCoefficient: number;
  maximumInterval: string;
}

/** ISO-8601 durations (PT1S, PT0.5S, P1DT2H…) in milliseconds. */
export function durationMs(iso: string): number {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(iso);
  if (!m) throw new Error(`not an ISO-8601 duration: ${iso}`);
  const [, d, h, min, s] = m;
  return ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(min ?? 0)) * 60_000 + Math.round(Number(s ?? 0) * 1000);
}

/** The definition's effect retry policy as Temporal retry options (defaults: 3 attempts, 1 s, ×2, 5 min). */
export function effectRetry(definition: Pick<PinnedDefinition, 'effect_retry'>): EffectRetry {
  const r = definition.effect_retry;
  return {
    maximumAttempts: r?.max_attempts ?? 3,
    initialInterval: `${durationMs(r?.initial_interval ?? 'PT1S')}ms`,
    backoffCoefficient: r?.backoff ?? 2,
    maximumInterval: `${durationMs(r?.max_interval ?? 'PT5M')}ms`,
  };
}

export const priorities: readonly Priority[] = ['low', 'medium', 'high', 'urgent'];
export const priorityRank = (p: Priority) => priorities.indexOf(p);

/** Roles a role-assigned task climbs when escalated, lowest first. */
export const escalationHierarchy = ['manager', 'senior_manager', 'director'] as const;

/** The next role up from `role`: manager for roles outside the hierarchy, none above director. */
export function nextRoleUp(role: string): string | undefined {
  const at = escalationHierarchy.indexOf(role as (typeof escalationHierarchy)[number]);
  return at === -1 ? escalationHierarchy[0] : escalationHierarchy[at + 1];
}

/** A timer's delay from its definition or request: `minutes` or an ISO-8601 `duration`. */
export function timerDelayMs(spec: { minutes?: number; duration?: string }): number {
  return spec.duration !== undefined ? durationMs(spec.duration) : Math.round((spec.minutes ?? 0) * 60_000);
}

/** Largest timer delay a definition or request may ask for: 30 days (profile max_duration_minutes 43200). */
export const maxTimerDelayMs = 43_200 * 60_000;
/** At most this many PENDING timers per instance. */
export const maxPendingTimers = 10;
/** A task's SLA when it has no due date: 24 hours (profile task_defaults.sla_minutes 1440). */
export const defaultTaskSlaMs = 1440 * 60_000;
