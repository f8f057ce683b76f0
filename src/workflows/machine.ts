import type { PinnedDefinition } from '../definitions/schema';

/** Pure state-machine decisions over a pinned definition; no I/O, safe inside workflow code. */

export function initialState(definition: PinnedDefinition, requested?: string): string {
  const state = requested ?? definition.initial_state;
  if (!definition.states.includes(state)) throw new Error(`state ${state} is not in ${definition.code}`);
  return state;
}

export function isTerminal(definition: PinnedDefinition, state: string): boolean {
  return definition.terminal_states.includes(state);
}

/** SLA deadline as a strict ISO-8601 UTC string, or null when the definition has no SLA. */
export function slaDeadline(definition: PinnedDefinition, startedAtMs: number): string | null {
  if (definition.sla_hours === undefined) return null;
  return new Date(startedAtMs + definition.sla_hours * 3_600_000).toISOString();
}
