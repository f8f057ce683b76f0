import type { Sql } from '../pool';
import { smartCodes, transactionTypes } from './codes';
import { keysetPage, type KeysetPosition } from './keyset';

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
  source: 'api' | 'signal' | 'bulk';
  /** The bulk job that sent the command (source `bulk`). */
  bulk_job_id?: string;
  /** What the call was asked, as validated and capped (src/procedures/auditInput.ts); never the raw body. */
  input?: unknown;
  /** Set by the workflow so a retried activity cannot record its event twice. */
  event_id?: string;
}

export async function insertAuditEvent(sql: Sql, org: string, event: AuditEvent): Promise<void> {
  await sql.query(
    `insert into universal_transactions (id, organization_id, transaction_type, smart_code, transaction_status, metadata, created_by, updated_by)
     values (coalesce($7::uuid, gen_random_uuid()), $1, $2, $3, $4, $5, $6, $6)
     on conflict (id) do nothing`,
    [org, transactionTypes.audit, smartCodes.audit, event.outcome, event, event.actor_user_id, event.event_id ?? null],
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
  bulk_job_id: string | null;
  created_at: Date;
}

export interface AuditFilter {
  instanceId?: string;
  procedureCode?: string;
  outcome?: string;
  bulkJobId?: string;
}

/** The organization's audit events, newest first, one keyset page. */
export function listAuditEvents(sql: Sql, org: string, filter: AuditFilter, limit: number, after: KeysetPosition | null) {
  const filters: Array<[string, unknown]> = [];
  if (filter.instanceId !== undefined) filters.push(['instance_id = ?::uuid', filter.instanceId]);
  if (filter.procedureCode !== undefined) filters.push(['procedure_code = ?', filter.procedureCode]);
  if (filter.outcome !== undefined) filters.push(['outcome = ?', filter.outcome]);
  if (filter.bulkJobId !== undefined) filters.push(['bulk_job_id = ?::uuid', filter.bulkJobId]);
  return keysetPage<AuditRow & Record<string, unknown>>(sql, {
    view: 'wf_audit_view',
    columns: 'event_id, procedure_code, outcome, error_code, actor_user_id, actor, instance_id, reason, correlation_id, source, bulk_job_id, created_at',
    idColumn: 'event_id',
    sortColumn: 'created_at',
    sortType: 'timestamptz',
    direction: 'desc',
    organizationId: org,
    filters,
    limit,
    after,
  });
}
