import type { z } from 'zod';
import { HeraError, validationFailed } from '../errors';
import { passesGate } from './roles';
import type { Caller, Procedure, Services } from './types';

export interface ProcedureResult {
  status: number;
  body: unknown;
}

export interface RunOptions {
  correlationId?: string | null;
}

export type RunProcedure = (
  smartCode: string,
  input: Record<string, unknown>,
  caller: Caller,
  options?: RunOptions,
) => Promise<ProcedureResult>;

function fieldProblems(error: z.ZodError) {
  return error.issues.map((issue) => ({
    field: issue.path.length ? issue.path.join('.') : issue.code === 'unrecognized_keys' ? issue.keys.join(',') : '(body)',
    message: issue.message,
  }));
}

/**
 * The only entry into HERA: finds the procedure, binds the caller's organization, checks roles, validates
 * the input, then runs the handler.
 */
export function createRunner(services: Services, procedures: readonly Procedure[]): RunProcedure {
  const byCode = new Map<string, Procedure>();
  for (const procedure of procedures) {
    if (byCode.has(procedure.smartCode)) throw new Error(`procedure ${procedure.smartCode} is defined twice`);
    byCode.set(procedure.smartCode, procedure);
  }
  return async (smartCode, input, caller, options = {}) => {
    const procedure = byCode.get(smartCode);
    if (!procedure) throw new HeraError('PROCEDURE_NOT_FOUND', 404, `no procedure ${smartCode}`);
    const { organization_id: namedOrg, ...rest } = input;
    if (namedOrg !== undefined && namedOrg !== caller.organizationId) {
      throw new HeraError('ORGANIZATION_MISMATCH', 403, 'the request names another organization than the token', {
        organization_id: namedOrg,
      });
    }
    if (!passesGate(caller.roles, procedure.roles)) {
      throw new HeraError('PERMISSION_DENIED', 403, `${smartCode} requires one of the roles ${procedure.roles.join(', ')}`, {
        required_roles: procedure.roles,
      });
    }
    const parsed = procedure.input.safeParse(rest);
    if (!parsed.success) throw validationFailed(fieldProblems(parsed.error));
    const body = await procedure.handle(parsed.data, {
      caller,
      services,
      correlationId: options.correlationId ?? null,
    });
    return { status: procedure.successStatus, body };
  };
}
