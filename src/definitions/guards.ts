import { contextGuardParams, guardCodes, refCode, refParams } from './registry';

export interface GuardOutcome {
  code: string;
  passed: boolean;
  reason?: string;
}

function compare(op: string, left: unknown, right: unknown): boolean {
  switch (op) {
    case 'exists':
      return left !== undefined && left !== null;
    case 'eq':
      return JSON.stringify(left) === JSON.stringify(right);
    case 'ne':
      return JSON.stringify(left) !== JSON.stringify(right);
    case 'in':
      return Array.isArray(right) && right.some((r) => JSON.stringify(r) === JSON.stringify(left));
    default: {
      if (typeof left !== typeof right || (typeof left !== 'number' && typeof left !== 'string')) return false;
      const [l, r] = [left as number | string, right as number | string];
      return op === 'lt' ? l < r : op === 'lte' ? l <= r : op === 'gt' ? l > r : l >= r;
    }
  }
}

/** Evaluates one guard over the instance context; data-driven, so pure. */
export function evaluateGuard(ref: string | { code: string; with: Record<string, unknown> }, context: Record<string, unknown>): GuardOutcome {
  const code = refCode(ref);
  if (code !== guardCodes.context) return { code, passed: false, reason: `no handler for guard ${code}` };
  const params = contextGuardParams.parse(refParams(ref));
  const left = context[params.field];
  const right = params.value_field !== undefined ? context[params.value_field] : params.value;
  const passed = compare(params.op, left, right);
  const against = params.value_field !== undefined ? `context.${params.value_field}` : JSON.stringify(params.value);
  return passed
    ? { code, passed }
    : { code, passed, reason: `context.${params.field} (${JSON.stringify(left)}) ${params.op} ${params.op === 'exists' ? '' : against} failed`.trim() };
}
