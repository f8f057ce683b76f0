import { z } from 'zod';
import { durationSchema } from './duration';

/** A guard or effect reference: a smart code, or a smart code with parameters. */
export const refSchema = z.union([
  z.string().min(1),
  z.strictObject({ code: z.string().min(1), with: z.record(z.string(), z.unknown()).default({}) }),
]);

/** The code of an organization record named by its admins (a definition, a calendar): upper-case letters, digits, _. */
export const upperCode = z.string().regex(/^[A-Z][A-Z0-9_]{1,63}$/, 'upper-case code such as LEAVE_APPROVAL');

const taskTemplateShape = z.strictObject({
  title: z.string().min(1),
  assignee_role: z.string().min(1).optional(),
  assignee_user_id: z.guid().optional(),
  due_in: durationSchema.optional(),
  /** The business calendar `due_in` counts in (working time); without one it is wall-clock time. */
  calendar: upperCode.optional(),
  priority: z.enum(['low', 'medium', 'high', 'urgent']).default('medium'),
});
/** A task's calendar counts its `due_in`: one without the other is a mistake. */
const calendarCountsDueIn = <T extends z.ZodType<{ calendar?: string; due_in?: string }>>(schema: T) =>
  schema.refine((t) => t.calendar === undefined || t.due_in !== undefined, { message: 'a calendar counts due_in: give due_in with it', path: ['calendar'] });
const taskTemplateSchema = calendarCountsDueIn(taskTemplateShape);

const timerSchema = z
  .strictObject({
    on_enter: z.string().min(1),
    name: z.string().min(1),
    minutes: z.number().positive().max(43200).optional(),
    duration: durationSchema.optional(),
    /** The business calendar the delay counts in (working time); without one it is wall-clock time. */
    calendar: upperCode.optional(),
    on_fire: z.strictObject({
      advance_to: z.string().min(1).optional(),
      escalate_tasks: z.boolean().optional(),
      create_task: taskTemplateSchema.optional(),
      effect: refSchema.optional(),
    }),
  })
  .refine((t) => (t.minutes === undefined) !== (t.duration === undefined), {
    message: 'give exactly one of minutes or duration',
  });

export const definitionSchema = z
  .strictObject({
    code: upperCode,
    version: z.number().int().positive().default(1),
    description: z.string().optional(),
    states: z.array(z.string().min(1)).min(1),
    initial_state: z.string().min(1).optional(),
    /** States besides the initial one an instance may start in, and the roles that may start it there. */
    start_states: z.array(z.strictObject({ state: z.string().min(1), by: z.array(z.string().min(1)).min(1) })).default([]),
    terminal_states: z.array(z.string().min(1)).optional(),
    sla_hours: z.number().positive().optional(),
    /** The business calendar `sla_hours` count in (working hours); without one they are wall-clock hours. */
    sla_calendar: upperCode.optional(),
    transitions: z
      .array(
        z.strictObject({
          from: z.string().min(1),
          to: z.string().min(1),
          by: z.array(z.string().min(1)).min(1),
          guards: z.array(refSchema).default([]),
          effects: z.array(refSchema).default([]),
        }),
      )
      .default([]),
    timers: z.array(timerSchema).default([]),
    tasks: z.array(calendarCountsDueIn(taskTemplateShape.extend({ on_enter: z.string().min(1) }))).default([]),
    effect_retry: z
      .strictObject({
        max_attempts: z.number().int().min(1).max(20).default(3),
        initial_interval: durationSchema.default('PT1S'),
        backoff: z.number().min(1).default(2),
        max_interval: durationSchema.default('PT5M'),
      })
      .optional(),
  })
  .superRefine((d, ctx) => {
    const states = new Set(d.states);
    const check = (state: string | undefined, path: (string | number)[]) => {
      if (state !== undefined && !states.has(state)) {
        ctx.addIssue({ code: 'custom', path, message: `unknown state ${state}` });
      }
    };
    check(d.initial_state, ['initial_state']);
    const initial = d.initial_state ?? d.states[0];
    d.start_states.forEach((s, i) => {
      check(s.state, ['start_states', i, 'state']);
      if (s.state === initial) ctx.addIssue({ code: 'custom', path: ['start_states', i, 'state'], message: `${s.state} is the initial state, a start state for anyone who may start the definition` });
    });
    d.terminal_states?.forEach((s, i) => check(s, ['terminal_states', i]));
    d.transitions.forEach((t, i) => {
      check(t.from, ['transitions', i, 'from']);
      check(t.to, ['transitions', i, 'to']);
    });
    d.timers.forEach((t, i) => {
      check(t.on_enter, ['timers', i, 'on_enter']);
      check(t.on_fire.advance_to, ['timers', i, 'on_fire', 'advance_to']);
    });
    d.tasks.forEach((t, i) => check(t.on_enter, ['tasks', i, 'on_enter']));
  });

export type DefinitionInput = z.input<typeof definitionSchema>;
export type WorkflowDefinition = z.output<typeof definitionSchema>;

/** The definition with its defaults resolved: what an instance is pinned to. */
export interface PinnedDefinition extends WorkflowDefinition {
  initial_state: string;
  terminal_states: string[];
}

export function pinDefinition(definition: WorkflowDefinition): PinnedDefinition {
  const withExit = new Set(definition.transitions.map((t) => t.from));
  return {
    ...definition,
    initial_state: definition.initial_state ?? definition.states[0],
    terminal_states: definition.terminal_states ?? definition.states.filter((s) => !withExit.has(s)),
  };
}
