import type { NewNotification } from '../../domain/notification';
import type { Sql } from '../pool';
import { smartCodes, transactionTypes } from './codes';

export interface NewEffect {
  effectId: string;
  instanceId: string;
  stepId: string;
  code: string;
  params: Record<string, unknown>;
}

export async function insertEffects(sql: Sql, org: string, effects: NewEffect[], at: string, actor: string): Promise<void> {
  for (const effect of effects) {
    await sql.query(
      `insert into universal_transactions (id, organization_id, transaction_type, smart_code, transaction_status, metadata,
                                           created_at, updated_at, created_by, updated_by)
       values ($1, $2, $3, $4, 'PENDING', $5, $6, $6, $7, $7)
       on conflict (id) do nothing`,
      [
        effect.effectId,
        org,
        transactionTypes.effect,
        smartCodes.effect,
        {
          instance_id: effect.instanceId,
          step_id: effect.stepId,
          effect_smart_code: effect.code,
          params: effect.params,
          attempt_count: 0,
          idempotency_key: effect.effectId,
        },
        at,
        actor,
      ],
    );
  }
}

/** Moves an effect record to `status`, merging `patch` into its JSON. */
export async function updateEffect(
  sql: Sql,
  org: string,
  effectId: string,
  status: string,
  patch: Record<string, unknown>,
  actor: string,
): Promise<void> {
  await sql.query(
    `update universal_transactions set transaction_status = $3, metadata = metadata || $4::jsonb, updated_at = now(), updated_by = $5
      where organization_id = $1 and id = $2 and transaction_type = 'WF_EFFECT'`,
    [org, effectId, status, patch, actor],
  );
}

/** Adds `code` to the step's `effects_failed` list, once. */
export async function addFailedEffect(sql: Sql, org: string, stepId: string, code: string, actor: string): Promise<void> {
  await sql.query(
    `update universal_transaction_lines
        set line_data = jsonb_set(line_data, '{effects_failed}', coalesce(line_data->'effects_failed', '[]') || to_jsonb($3::text)),
            updated_at = now(), updated_by = $4
      where organization_id = $1 and id = $2 and not coalesce(line_data->'effects_failed', '[]') ? $3`,
    [org, stepId, code, actor],
  );
}

/** Writes an outbox row; its idempotency key makes a repeat a no-op. */
export async function insertNotification(sql: Sql, org: string, n: NewNotification, actor: string): Promise<void> {
  await sql.query(
    `insert into universal_transactions (organization_id, transaction_type, smart_code, transaction_status, business_context, metadata,
                                         created_by, updated_by)
     values ($1, $2, $3, 'PENDING', jsonb_build_object('idem_key', $4::text), $5, $6, $6)
     on conflict (organization_id, (business_context->>'idem_key')) where business_context ? 'idem_key' do nothing`,
    [org, transactionTypes.notification, smartCodes.notification, n.idemKey,
     { instance_id: n.instanceId, template: n.template, recipient: n.recipient, payload: n.payload }, actor],
  );
}

/** Removes `code` from the step's `effects_failed` list after a successful retry. */
export async function clearFailedEffect(sql: Sql, org: string, stepId: string, code: string, actor: string): Promise<void> {
  await sql.query(
    `update universal_transaction_lines
        set line_data = jsonb_set(line_data, '{effects_failed}', coalesce(line_data->'effects_failed', '[]') - $3::text)
                        || jsonb_build_object('last_retry_at', now()),
            updated_at = now(), updated_by = $4
      where organization_id = $1 and id = $2`,
    [org, stepId, code, actor],
  );
}

export interface FailedEffect {
  effect_id: string;
  instance_id: string;
  effect_smart_code: string;
  params: Record<string, unknown>;
}

/** The step's permanently failed effects, with what it takes to run them again. */
export async function failedEffectsOf(sql: Sql, org: string, stepId: string): Promise<FailedEffect[]> {
  const { rows } = await sql.query<FailedEffect>(
    `select v.effect_id, v.instance_id, v.effect_smart_code, coalesce(e.metadata->'params', '{}') as params
       from wf_effects_view v join universal_transactions e on e.id = v.effect_id
      where v.organization_id = $1 and v.step_id = $2 and v.effect_status = 'PERMANENTLY_FAILED'
      order by v.created_at`,
    [org, stepId],
  );
  return rows;
}

/** The instance's steps with permanently failed effects (of the given codes only, when named), oldest first. */
export async function stepsWithFailedEffects(sql: Sql, org: string, instanceId: string, codes: string[] | null): Promise<string[]> {
  const { rows } = await sql.query<{ step_id: string }>(
    `select step_id from wf_effects_view
      where organization_id = $1 and instance_id = $2 and effect_status = 'PERMANENTLY_FAILED'
        and ($3::text[] is null or effect_smart_code = any($3::text[]))
      group by step_id order by min(created_at), step_id`,
    [org, instanceId, codes],
  );
  return rows.map((r) => r.step_id);
}
