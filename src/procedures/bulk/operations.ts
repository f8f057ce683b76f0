import type { z } from 'zod';
import { findInstanceAnswer } from '../../db/queries/instanceGet';
import { stepsWithFailedEffects } from '../../db/queries/effects';
import { Refusal } from '../../errors';
import { sendInstanceUpdate } from '../../temporal/instanceUpdate';
import { cancelUpdate, migrateUpdate, moveUpdate, pauseUpdate, reassignUpdate, resumeUpdate, slaRecalcUpdate, type AdminCommand } from '../../workflows/messages';
import { effectRetryInput, retryInstanceEffects, type EffectRetryDeps } from '../admin/effectRetry';
import { pauseInput, reassignInput, resumeInput, slaRecalcInput } from '../admin/instanceCommands';
import { cancelInput, migrateInput, migrationTarget, moveInput } from '../admin/modification';

/** What a bulk job sends each instance: the caller, the job's reason, and the job, so the instance audits it. */
export type BulkCommand = AdminCommand & { audit: true; bulk_job_id: string; reason: string };

/**
 * One operation a bulk job can run on each selected instance: the single-instance procedure it repeats, that
 * procedure's own input schema (less `instance_id`) for `params`, the refusal a dry run predicts, and the Update
 * it sends (the same the single route sends, with the job's Update id so a retried batch changes nothing twice).
 */
export interface BulkOperation<Params = Record<string, unknown>> {
  procedure: string;
  params: z.ZodType<Params, unknown>;
  /** What a dry run predicts: an SQL expression over `wf_instances_view v` naming the code the instance would refuse with (null: it would act). */
  wouldSkip(params: Params): SkipPrediction;
  send(deps: EffectRetryDeps, organizationId: string, instanceId: string, params: Params, command: BulkCommand, updateId: string): Promise<unknown>;
}

/**
 * A dry run's prediction: SQL written in code, with `?` for each of `values` (taken from the params, never spliced
 * into the text): e.g. a move's `when v.current_state = ? then 'ALREADY_IN_STATE'` with the target state.
 */
export interface SkipPrediction {
  sql: string;
  values: unknown[];
}

/** A prediction that does not depend on the params. */
const always = (sql: string) => (): SkipPrediction => ({ sql, values: [] });

/** An operation typed by its params schema, kept in the table as any operation. */
const defineBulkOperation = <Params>(operation: BulkOperation<Params>) => operation as unknown as BulkOperation;

const finalized = `when v.status = 'cancelled' then 'INSTANCE_FINISHED' when v.status <> 'active' then 'INSTANCE_FINALIZED'`;

const pauseParams = pauseInput.omit({ instance_id: true });
const pause = defineBulkOperation<z.output<typeof pauseParams>>({
  procedure: 'HERA.UNIV.WF.INSTANCE.PAUSE.V1',
  params: pauseParams,
  wouldSkip: always(`case ${finalized} when v.paused then 'INSTANCE_ALREADY_PAUSED' end`),
  send: (deps, org, id, params, command, updateId) =>
    sendInstanceUpdate(deps, org, id, pauseUpdate, { ...command, reason: params.reason ?? command.reason }, updateId),
});

const resumeParams = resumeInput.omit({ instance_id: true });
const resume = defineBulkOperation<z.output<typeof resumeParams>>({
  procedure: 'HERA.UNIV.WF.INSTANCE.RESUME.V1',
  params: resumeParams,
  wouldSkip: always(`case ${finalized} when not v.paused then 'INSTANCE_NOT_PAUSED' end`),
  send: (deps, org, id, params, command, updateId) =>
    sendInstanceUpdate(deps, org, id, resumeUpdate, { ...command, reason: params.notes ?? params.reason ?? command.reason }, updateId),
});

// The instance refuses anything but exactly one owner; a bulk job says so before it selects anything.
const reassignParams = reassignInput
  .omit({ instance_id: true })
  .refine((p) => (p.owner_team === undefined) !== (p.owner_user_id === undefined), { path: ['owner_team'], message: 'give exactly one of owner_team or owner_user_id' });
const reassign = defineBulkOperation<z.output<typeof reassignParams>>({
  procedure: 'HERA.UNIV.WF.INSTANCE.REASSIGN.V1',
  params: reassignParams,
  wouldSkip: always(`case ${finalized} end`),
  send: (deps, org, id, { owner_team, owner_user_id, reason }, command, updateId) =>
    sendInstanceUpdate(deps, org, id, reassignUpdate, { ...command, owner_team, owner_user_id, reason: reason ?? command.reason }, updateId),
});

const slaRecalcParams = slaRecalcInput.omit({ instance_id: true });
const slaRecalc = defineBulkOperation<z.output<typeof slaRecalcParams>>({
  procedure: 'HERA.UNIV.WF.INSTANCE.SLA.RECALC.V1',
  params: slaRecalcParams,
  wouldSkip: always(`case ${finalized} end`),
  send: (deps, org, id, { sla_override_hours, recalc_reason }, command, updateId) =>
    sendInstanceUpdate(deps, org, id, slaRecalcUpdate, { ...command, sla_override_hours, reason: recalc_reason ?? command.reason }, updateId),
});

// Every step with failed effects, each retried as EFFECT.RETRY retries it; none is the refusal EFFECT.RETRY makes.
const retryEffectsParams = effectRetryInput.omit({ instance_id: true, step_id: true });
const retryEffects = defineBulkOperation<z.output<typeof retryEffectsParams>>({
  procedure: 'HERA.UNIV.WF.EFFECT.RETRY.V1',
  params: retryEffectsParams,
  wouldSkip: always(`case when v.failed_effects = 0 then 'NO_FAILED_EFFECTS' end`),
  async send(deps, org, id, { effect_filter }, command, updateId) {
    const { instance, steps } = await deps.db.withOrg(org, async (sql) => ({
      instance: await findInstanceAnswer(sql, org, id),
      steps: await stepsWithFailedEffects(sql, org, id, effect_filter ?? null),
    }));
    if (!instance) throw new Refusal('INSTANCE_NOT_FOUND', 'no such instance', { instance_id: id });
    if (!steps.length) throw new Refusal('NO_FAILED_EFFECTS', 'the instance has no failed effects to retry', { instance_id: id });
    const { actor, audit, bulk_job_id } = command;
    const answers = [];
    for (const step_id of steps) {
      answers.push(await retryInstanceEffects(deps, org, instance, { actor, step_id, effect_filter, audit, bulk_job_id }, `${updateId}:${step_id}`));
    }
    return answers;
  },
});

// The job's own reason serves when the params name none.
const cancelParams = cancelInput.omit({ instance_id: true }).partial({ reason: true });
const cancel = defineBulkOperation<z.output<typeof cancelParams>>({
  procedure: 'HERA.UNIV.WF.INSTANCE.CANCEL.V1',
  params: cancelParams,
  wouldSkip: always(`case ${finalized} end`),
  send: (deps, org, id, { reason }, command, updateId) => sendInstanceUpdate(deps, org, id, cancelUpdate, { ...command, reason: reason ?? command.reason }, updateId),
});

const moveParams = moveInput.omit({ instance_id: true }).partial({ reason: true });
const move = defineBulkOperation<z.output<typeof moveParams>>({
  procedure: 'HERA.UNIV.WF.INSTANCE.MOVE.V1',
  params: moveParams,
  wouldSkip: ({ to_state }) => ({ sql: `case ${finalized} when v.current_state = ? then 'ALREADY_IN_STATE' end`, values: [to_state] }),
  send: (deps, org, id, { to_state, reason }, command, updateId) => sendInstanceUpdate(deps, org, id, moveUpdate, { ...command, to_state, reason: reason ?? command.reason }, updateId),
});

// A job migrates for real: a plan is a single instance's dry run (POST /workflows/:id/migrate).
const migrateParams = migrateInput.omit({ instance_id: true, dry_run: true });
const migrate = defineBulkOperation<z.output<typeof migrateParams>>({
  procedure: 'HERA.UNIV.WF.INSTANCE.MIGRATE.V1',
  params: migrateParams,
  wouldSkip: ({ to_version }) => ({ sql: `case ${finalized} when v.definition_version = ?::int then 'MIGRATION_INVALID' end`, values: [to_version] }),
  async send(deps, org, id, { to_version, state_map, reason }, command, updateId) {
    const target = await migrationTarget(deps, org, id, to_version);
    return sendInstanceUpdate(deps, org, id, migrateUpdate, { ...command, to_version, state_map, reason: reason ?? command.reason, ...target }, updateId);
  },
});

/** Every bulk operation by its route name (`POST /api/v1/bulk/:operation`); a new one is one entry here. */
export const bulkOperations = {
  pause,
  resume,
  reassign,
  'sla-recalc': slaRecalc,
  'retry-effects': retryEffects,
  cancel,
  move,
  migrate,
} satisfies Record<string, BulkOperation>;

export type BulkOperationName = keyof typeof bulkOperations;

export const bulkOperationNames = Object.keys(bulkOperations) as [BulkOperationName, ...BulkOperationName[]];

/** The operation of a job's record (it was validated when the job was asked for). */
export function bulkOperation(name: string): BulkOperation {
  const operation = (bulkOperations as Record<string, BulkOperation>)[name];
  if (!operation) throw new Error(`no bulk operation ${name}`);
  return operation;
}
