import { durationMs, maxTimerDelayMs } from '../workflows/machine';
import type { RefProblem } from './registry';
import type { WorkflowDefinition } from './schema';

/**
 * What one definition may ask of the system. Every instance carries its definition in its workflow input and
 * sets up its timers, tasks and effects from it, so a definition past these wedges or floods every instance.
 */
export const definitionCaps = {
  /** The definition as compact JSON, as stored and carried into every instance (defaults filled in). */
  bytes: 256 * 1024,
  states: 200,
  transitions: 1_000,
  guardsPerTransition: 20,
  effectsPerTransition: 20,
  timersPerState: 50,
  tasksPerState: 50,
  /** One year: later deadlines are no SLA. */
  slaHours: 8_760,
  /** Task due times and effect retry intervals. */
  durationMs: 365 * 24 * 3_600_000,
  /** Timers, as `minutes` and as the API's timers: 30 days. */
  timerMs: maxTimerDelayMs,
  /** Versions are read back as PostgreSQL `int`. */
  version: 2_147_483_647,
} as const;

const days = (ms: number) => `${ms / 86_400_000} days`;

/** Every place where the definition exceeds a cap or repeats a name that must be unique; path names the field. */
export function checkCaps(definition: WorkflowDefinition): RefProblem[] {
  const problems: RefProblem[] = [];
  const add = (path: string, message: string) => problems.push({ path, message });
  const caps = definitionCaps;

  const bytes = Buffer.byteLength(JSON.stringify(definition));
  if (bytes > caps.bytes) add('(definition)', `the definition is ${bytes} bytes of JSON, more than ${caps.bytes}`);
  if (definition.version > caps.version) add('version', `at most ${caps.version}`);
  if (definition.states.length > caps.states) add('states', `at most ${caps.states} states`);
  if (definition.transitions.length > caps.transitions) add('transitions', `at most ${caps.transitions} transitions`);
  if (definition.sla_hours !== undefined && definition.sla_hours > caps.slaHours) add('sla_hours', `at most ${caps.slaHours} hours (one year)`);

  const duration = (value: string | undefined, path: string, max: number) => {
    if (value === undefined) return;
    const ms = durationMs(value);
    if (ms > max) add(path, `${value} is longer than ${days(max)}`);
    return ms;
  };

  definition.transitions.forEach((t, i) => {
    if (t.guards.length > caps.guardsPerTransition) add(`transitions.${i}.guards`, `at most ${caps.guardsPerTransition} guards per transition`);
    if (t.effects.length > caps.effectsPerTransition) add(`transitions.${i}.effects`, `at most ${caps.effectsPerTransition} effects per transition`);
  });

  // Per state: how many timers and tasks it sets up, and its timer names (they key the timer records).
  const timersIn = new Map<string, string[]>();
  definition.timers.forEach((t, i) => {
    const names = timersIn.get(t.on_enter) ?? [];
    timersIn.set(t.on_enter, names);
    if (names.includes(t.name)) add(`timers.${i}.name`, `state ${t.on_enter} has another timer named ${t.name}`);
    names.push(t.name);
    if (names.length === caps.timersPerState + 1) add(`timers.${i}`, `state ${t.on_enter} has more than ${caps.timersPerState} timers`);
    duration(t.duration, `timers.${i}.duration`, caps.timerMs);
    duration(t.on_fire.create_task?.due_in, `timers.${i}.on_fire.create_task.due_in`, caps.durationMs);
  });
  const tasksIn = new Map<string, number>();
  definition.tasks.forEach((t, i) => {
    const count = (tasksIn.get(t.on_enter) ?? 0) + 1;
    tasksIn.set(t.on_enter, count);
    if (count === caps.tasksPerState + 1) add(`tasks.${i}`, `state ${t.on_enter} has more than ${caps.tasksPerState} tasks`);
    duration(t.due_in, `tasks.${i}.due_in`, caps.durationMs);
  });

  const retry = definition.effect_retry;
  if (retry) {
    // Temporal refuses a zero interval or a maximum below the initial one, inside the workflow.
    const initial = duration(retry.initial_interval, 'effect_retry.initial_interval', caps.durationMs)!;
    const max = duration(retry.max_interval, 'effect_retry.max_interval', caps.durationMs)!;
    if (initial === 0) add('effect_retry.initial_interval', 'must be longer than zero');
    if (max < initial) add('effect_retry.max_interval', `must not be shorter than initial_interval ${retry.initial_interval}`);
  }
  return problems;
}
