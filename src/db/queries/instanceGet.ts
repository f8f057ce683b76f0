import type { Sql } from '../pool';

export interface InstanceRecord {
  instance_id: string;
  definition_code: string;
  definition_version: number;
  current_state: string;
  status: string;
  sla_at: string | null;
  created_at: string;
  start_request_hash: string | null;
}

/** One instance of the organization as its read model shows it, timestamps as ISO-8601 UTC strings. */
export async function findInstanceAnswer(sql: Sql, org: string, instanceId: string): Promise<InstanceRecord | undefined> {
  const { rows } = await sql.query<Omit<InstanceRecord, 'sla_at' | 'created_at'> & { sla_at: Date | null; created_at: Date }>(
    `select instance_id, definition_code, definition_version, current_state, status, sla_at, created_at, start_request_hash
       from wf_instances_view where organization_id = $1 and instance_id = $2`,
    [org, instanceId],
  );
  const row = rows[0];
  return row && { ...row, sla_at: row.sla_at?.toISOString() ?? null, created_at: row.created_at.toISOString() };
}

export interface StepAnswer {
  instance_id: string;
  request_hash: string | null;
  response: unknown;
}

/** The step an advance with this Idempotency-Key recorded, if any. */
export async function findStepByKey(sql: Sql, org: string, key: string): Promise<StepAnswer | undefined> {
  const { rows } = await sql.query<StepAnswer>(
    'select instance_id, request_hash, response from wf_steps_view where organization_id = $1 and idem_key = $2',
    [org, key],
  );
  return rows[0];
}

/** Whether the instance has this step. */
export async function stepExists(sql: Sql, org: string, instanceId: string, stepId: string): Promise<boolean> {
  const { rowCount } = await sql.query('select 1 from wf_steps_view where organization_id = $1 and instance_id = $2 and step_id = $3', [
    org,
    instanceId,
    stepId,
  ]);
  return Boolean(rowCount);
}
