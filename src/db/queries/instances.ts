import type { Sql } from '../pool';
import { smartCodes, transactionTypes } from './codes';

export interface NewInstanceHeader {
  instanceId: string;
  organizationId: string;
  createdAt: string;
  actorUserId: string;
  /** active, or completed when the instance starts in a terminal state. */
  status: string;
  metadata: Record<string, unknown>;
}

export interface NewStepLine {
  stepId: string;
  instanceId: string;
  organizationId: string;
  lineNumber: number;
  actorUserId: string;
  createdAt: string;
  lineData: Record<string, unknown>;
}

/** Inserts the WF_INSTANCE header; a repeat of the same insert (activity retry) changes nothing. */
export async function insertInstanceHeader(sql: Sql, header: NewInstanceHeader): Promise<void> {
  await sql.query(
    `insert into universal_transactions
       (id, organization_id, transaction_type, smart_code, transaction_status, transaction_date, metadata,
        created_at, updated_at, created_by, updated_by)
     values ($1, $2, $3, $4, $8, $5, $6, $5, $5, $7, $7)
     on conflict (id) do nothing`,
    [
      header.instanceId,
      header.organizationId,
      transactionTypes.instance,
      smartCodes.instance,
      header.createdAt,
      header.metadata,
      header.actorUserId,
      header.status,
    ],
  );
}

/** Inserts one step line of an instance; its fixed id makes a retry a no-op. */
export async function insertStepLine(sql: Sql, step: NewStepLine): Promise<void> {
  await sql.query(
    `insert into universal_transaction_lines
       (id, organization_id, transaction_id, line_number, line_type, smart_code, line_data,
        created_at, updated_at, created_by, updated_by)
     values ($1, $2, $3, $4, 'WF_STEP', $5, $6, $7, $7, $8, $8)
     on conflict do nothing`,
    [step.stepId, step.organizationId, step.instanceId, step.lineNumber, smartCodes.step, step.lineData, step.createdAt, step.actorUserId],
  );
}

/**
 * Marks an instance `failed` whose workflow ended without finishing it (terminated, timed out, failed, gone),
 * only while its row still says `active`; answers whether it did.
 */
export async function markInstanceEnded(sql: Sql, org: string, instanceId: string, reconciled: Record<string, unknown>, actor: string): Promise<boolean> {
  const { rowCount } = await sql.query(
    `update universal_transactions
        set metadata = metadata || jsonb_build_object('reconciled', $3::jsonb), transaction_status = 'failed', updated_at = now(), updated_by = $4
      where organization_id = $1 and id = $2 and transaction_type = 'WF_INSTANCE' and transaction_status = 'active'`,
    [org, instanceId, reconciled, actor],
  );
  return rowCount === 1;
}

/** Merges `patch` into the header's JSON (never overwriting keys it does not name) and sets the status. */
export async function patchInstanceHeader(
  sql: Sql,
  org: string,
  instanceId: string,
  patch: Record<string, unknown>,
  status: string,
  at: string,
  actor: string,
): Promise<void> {
  await sql.query(
    `update universal_transactions
        set metadata = metadata || $3::jsonb, transaction_status = $4, updated_at = $5, updated_by = $6
      where organization_id = $1 and id = $2 and transaction_type = 'WF_INSTANCE'`,
    [org, instanceId, patch, status, at, actor],
  );
}
