import { z } from 'zod';
import type { WorkflowDefinition } from './schema';

/** Built-in guard and effect smart codes, each with the schema of its `with` parameters. */
export const guardCodes = { context: 'HERA.UNIV.WF.GUARD.CONTEXT.v1' } as const;
export const effectCodes = {
  webhook: 'HERA.UNIV.WF.EFFECT.WEBHOOK.v1',
  notify: 'HERA.UNIV.WF.EFFECT.NOTIFY.v1',
  log: 'HERA.UNIV.WF.EFFECT.LOG.v1',
} as const;

export const contextGuardParams = z
  .strictObject({
    field: z.string().min(1),
    op: z.enum(['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'exists']),
    value: z.unknown().optional(),
    value_field: z.string().min(1).optional(),
  })
  .refine((p) => p.op === 'exists' || (p.value !== undefined) !== (p.value_field !== undefined), {
    message: 'give exactly one of value or value_field (none for exists)',
  });

export const webhookParams = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  timeout_ms: z.number().int().min(100).max(60_000).default(10_000),
});

export const notifyParams = z.strictObject({
  template: z.string().min(1).default('workflow_event'),
  to_role: z.string().min(1).optional(),
  to_user_id: z.guid().optional(),
});

export const logParams = z.strictObject({ message: z.string().optional() });

const guardParams: Record<string, z.ZodType> = { [guardCodes.context]: contextGuardParams };
const effectParams: Record<string, z.ZodType> = {
  [effectCodes.webhook]: webhookParams,
  [effectCodes.notify]: notifyParams,
  [effectCodes.log]: logParams,
};

export interface RefProblem {
  path: string;
  message: string;
}

type Ref = string | { code: string; with: Record<string, unknown> };
export const refCode = (ref: Ref) => (typeof ref === 'string' ? ref : ref.code);
export const refParams = (ref: Ref) => (typeof ref === 'string' ? {} : ref.with);

/** Every guard and effect reference that names no registered handler or gives it bad parameters. */
export function checkRefs(definition: WorkflowDefinition): RefProblem[] {
  const problems: RefProblem[] = [];
  const check = (ref: Ref, registry: Record<string, z.ZodType>, path: string) => {
    const schema = registry[refCode(ref)];
    if (!schema) return problems.push({ path, message: `unknown code ${refCode(ref)}` });
    const parsed = schema.safeParse(refParams(ref));
    if (!parsed.success) problems.push({ path: `${path}.with`, message: z.prettifyError(parsed.error) });
  };
  definition.transitions.forEach((t, i) => {
    t.guards.forEach((g, j) => check(g, guardParams, `transitions.${i}.guards.${j}`));
    t.effects.forEach((e, j) => check(e, effectParams, `transitions.${i}.effects.${j}`));
  });
  definition.timers.forEach((t, i) => {
    if (t.on_fire.effect) check(t.on_fire.effect, effectParams, `timers.${i}.on_fire.effect`);
  });
  return problems;
}
