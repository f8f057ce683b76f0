import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { HeraError, Refusal, validationFailed } from '../errors';
import { auditedInput, cappedString, inputSummary } from './auditInput';
import { unavailableFrom, withCommandDeadline } from '../temporal/commands';
import { correlationKey, inSpan, tracingOn } from '../tracing';
import { commonErrors, type Contract } from './contracts';
import { passesGate } from './roles';
import type { Caller, ProcedureImplementation, Services } from './types';

export interface ProcedureResult {
  status: number;
  body: unknown;
  replayed: boolean;
}

export interface RunOptions {
  correlationId?: string | null;
  idempotencyKey?: string | null;
}

export type RunProcedure = (
  smartCode: string,
  input: Record<string, unknown>,
  caller: Caller,
  options?: RunOptions,
) => Promise<ProcedureResult>;

interface BoundProcedure {
  contract: Contract;
  implementation: ProcedureImplementation;
}

const uuidLike = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function fieldProblems(error: z.ZodError) {
  return error.issues.map((issue) => ({
    // An unknown field is named where it was sent (`filter.colour`); at the top, by itself.
    field: issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys.join(',')].join('.') : issue.path.length ? issue.path.join('.') : '(body)',
    message: issue.message,
  }));
}

/** Stable JSON (sorted keys) so equal inputs hash equally whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Pairs every contract with its implementation; any one without the other stops startup. */
export function bindProcedures(contracts: readonly Contract[], implementations: readonly ProcedureImplementation[]) {
  const byCode = new Map<string, BoundProcedure>();
  const implementationsByCode = new Map(implementations.map((i) => [i.smartCode, i]));
  const problems: string[] = [];
  for (const contract of contracts) {
    const implementation = implementationsByCode.get(contract.smart_code);
    if (!implementation) problems.push(`contract ${contract.smart_code} has no implementation`);
    else if (byCode.has(contract.smart_code)) problems.push(`contract ${contract.smart_code} is declared twice`);
    else byCode.set(contract.smart_code, { contract, implementation });
  }
  for (const implementation of implementations) {
    if (!contracts.some((c) => c.smart_code === implementation.smartCode)) {
      problems.push(`implementation ${implementation.smartCode} has no contract in procedures/`);
    }
  }
  if (problems.length) throw new Error(`procedures do not match their contracts: ${problems.join('; ')}`);
  return byCode;
}

/**
 * The only entry into HERA: finds the procedure, binds the caller's organization, checks the contract's roles,
 * validates the input, runs the handler, maps its refusals to the statuses the contract declares, and audits.
 */
export function createRunner(
  services: Services,
  contracts: readonly Contract[],
  implementations: readonly ProcedureImplementation[],
): RunProcedure {
  const procedures = bindProcedures(contracts, implementations);
  const runProcedure: RunProcedure = async (smartCode, input, caller, options = {}) => {
    const procedure = procedures.get(smartCode);
    if (!procedure) throw new HeraError('PROCEDURE_NOT_FOUND', 404, `no procedure ${smartCode}`);
    const { contract } = procedure;
    // Until the input validates, the audit keeps only its shape: its values are whatever was sent.
    let validated: Record<string, unknown> | null = null;
    // Audited contracts record every call, success or refusal (SPEC §10 fields).
    const audit = async (outcome: 'SUCCESS' | 'REFUSED', errorCode: string | null) => {
      if (!contract.audit) return;
      const instanceId = typeof input.instance_id === 'string' && uuidLike.test(input.instance_id) ? input.instance_id : null;
      const reason = validated && ([validated.reason, validated.notes, validated.recalc_reason].find((r) => typeof r === 'string') as string | undefined);
      await services.audit(caller.organizationId, {
        procedure_code: smartCode,
        outcome,
        error_code: errorCode,
        actor_user_id: caller.userId,
        instance_id: instanceId,
        reason: reason ? cappedString(reason) : null,
        correlation_id: options.correlationId ?? null,
        source: 'api',
        input: validated ? auditedInput(validated) : inputSummary(input, false),
      });
    };
    try {
      const result = await run(procedure, input, caller, options, (data) => {
        validated = data;
      });
      await audit('SUCCESS', null);
      return result;
    } catch (error) {
      if (error instanceof HeraError) await audit('REFUSED', error.code);
      throw error;
    }
  };
  if (!tracingOn()) return runProcedure;
  return (smartCode, input, caller, options = {}) => {
    const attributes = { 'hera.smart_code': smartCode, 'hera.organization_id': caller.organizationId, ...(options.correlationId ? { [correlationKey]: options.correlationId } : {}) };
    return inSpan(`runProcedure ${smartCode}`, attributes, () => runProcedure(smartCode, input, caller, options));
  };

  async function run(
    { contract, implementation }: BoundProcedure,
    input: Record<string, unknown>,
    caller: Caller,
    options: RunOptions,
    onValidated: (input: Record<string, unknown>) => void,
  ): Promise<ProcedureResult> {
    const smartCode = contract.smart_code;
    const { organization_id: namedOrg, ...rest } = input;
    if (namedOrg !== undefined && namedOrg !== caller.organizationId) {
      throw new HeraError('ORGANIZATION_MISMATCH', 403, 'the request names another organization than the token', {
        organization_id: namedOrg,
      });
    }
    if (!passesGate(caller.roles, contract.roles)) {
      throw new HeraError('PERMISSION_DENIED', 403, `${smartCode} requires one of the roles ${contract.roles.join(', ')}`, {
        required_roles: contract.roles,
      });
    }
    const parsed = implementation.input.safeParse(rest);
    if (!parsed.success) throw validationFailed(fieldProblems(parsed.error));
    onValidated(parsed.data as Record<string, unknown>);
    // A command ends in the instance's persistence activities, which wait for the database: while it is down, a
    // quick 503 to retry instead of a wait of HERA_COMMAND_TIMEOUT_MS.
    if (contract.kind === 'command') await services.db.ready();
    let replayed = false;
    let status: number = contract.success_status;
    try {
      const body = await withCommandDeadline(services.temporal, services.config.HERA_COMMAND_TIMEOUT_MS, () => implementation.handle(parsed.data, {
        caller,
        services,
        correlationId: options.correlationId ?? null,
        idempotencyKey: options.idempotencyKey ?? null,
        requestHash: createHash('sha256').update(`${smartCode}\n${canonical(parsed.data)}`).digest('hex'),
        markReplayed: () => {
          replayed = true;
        },
        markOk: () => {
          status = 200;
        },
      }));
      return { status, body, replayed };
    } catch (error) {
      if (!(error instanceof Refusal)) throw unavailableFrom(error) ?? error;
      const status = contract.errors[error.code] ?? commonErrors[error.code];
      if (status === undefined) {
        throw new Error(`${smartCode} refused with ${error.code}, which its contract does not declare: ${error.message}`);
      }
      throw new HeraError(error.code, status, error.message, error.details);
    }
  }
}