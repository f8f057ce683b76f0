import type { Sql } from '../pool';
import { smartCodes, transactionTypes } from './codes';

/** One audited call (SPEC §10 fields). */
export interface AuditEvent {
  procedure_code: string;
  outcome: 'SUCCESS' | 'REFUSED';
  error_code: string | null;
  actor_user_id: string;
  /** The operator's own name for signals sent from the Temporal UI. */
  actor?: string | null;
  instance_id: string | null;
  reason: string | null;
  correlation_id: string | null;
  source: 'api' | 'signal';
}

export async function insertAuditEvent(sql: Sql, org: string, event: AuditEvent): Promise<void> {
  await sql.query(
    `insert into universal_transactions (organization_id, transaction_type, smart_code, transaction_status, metadata, created_by, updated_by)
     values ($1, $2, $3, $4, $5, $6, $6)`,
    [org, transactionTypes.audit, smartCodes.audit, event.outcome, event, event.actor_user_id],
  );
}

export interface AuditRow {
  event_id: string;
  procedure_code: string;
  outcome: string;
  error_code: string | null;
  actor_user_id: string;
  actor: string | null;
  instance_id: string | null;
  reason: string | null;
  correlation_id: string | null;
  source: string;
  created_at: Date;
}

export interface AuditFilter {
  instanceId?: string;
  procedureCode?: string;
  outcome?: string;
}

/** Newest first, keyset after (created_at, id). */
export async function listAuditEvents(
  sql: Sql,
  org: string,
  filter: AuditFilter,
  limit: number,
  after: { createdAt: string; id: string } | null,
): Promise<{ rows: AuditRow[]; next: { createdAt: string; id: string } | null }> {
  const { rows } = await sql.query<AuditRow & { cursor_created_at: string }>(
    `select event_id, procedure_code, outcome, error_code, actor_user_id, actor, instance_id, reason, correlation_id, source, created_at,
            to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_created_at
       from wf_audit_view
      where organization_id = $1
        and ($2::uuid is null or instance_id = $2)
        and ($3::text is null or procedure_code = $3)
        and ($4::text is null or outcome = $4)
        and ($5::timestamptz is null or (created_at, event_id) < ($5::timestamptz, $6::uuid))
      order by created_at desc, event_id desc
      limit $7`,
    [org, filter.instanceId ?? null, filter.procedureCode ?? null, filter.outcome ?? null, after?.createdAt ?? null, after?.id ?? null, limit + 1],
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    rows: page.map(({ cursor_created_at: _c, ...row }) => row),
    next: rows.length > limit && last ? { createdAt: last.cursor_created_at, id: last.event_id } : null,
  };
}
