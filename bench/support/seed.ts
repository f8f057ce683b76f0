import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { Config } from '../../src/config';
import { localAppUrl, provisionAppRole } from '../../src/db/appRole';
import { migrate } from '../../src/db/migrate';
import { dbOptions, openDb, type Db } from '../../src/db/pool';
import { resolveDatabase } from '../../src/db/resolve';

const actor = '00000000-0000-4000-8000-000000000001';

/** Audited admin calls, weighted by how often operators make them (one slot a twentieth of the events). */
const auditedProcedures = [
  ...Array<string>(4).fill('HERA.UNIV.WF.INSTANCE.PAUSE.V1'), ...Array<string>(4).fill('HERA.UNIV.WF.INSTANCE.RESUME.V1'),
  ...Array<string>(3).fill('HERA.UNIV.WF.INSTANCE.REASSIGN.V1'), ...Array<string>(2).fill('HERA.UNIV.WF.INSTANCE.SLA.RECALC.V1'),
  'HERA.UNIV.WF.INSTANCE.CANCEL.V1', 'HERA.UNIV.WF.INSTANCE.MOVE.V1', 'HERA.UNIV.WF.INSTANCE.MIGRATE.V1',
  'HERA.UNIV.WF.INSTANCE.RECONCILE.V1', 'HERA.UNIV.WF.EFFECT.RETRY.V1', 'HERA.UNIV.WF.TASK.REASSIGN.V1', 'HERA.UNIV.WF.TIMER.FIRE.V1',
];
/** A call no instance is named in, one event in a thousand. */
export const rareAuditedProcedure = 'HERA.UNIV.WF.WEBHOOK.SECRET.ROTATE.V1';

/**
 * One organization of `instances` instances (four definitions, six states, a tenth completed, one in a hundred
 * paused, SLAs from 1,000 hours ago to 1,000 hours ahead, those past it breached) and half as many tasks, written
 * with set-based SQL as the owner; with `steps`, a transition line for one instance in twelve, over the last week;
 * with `audit`, as many audit events (about four for each of `instances / 4` instance ids, one in 23 refused, a fifth
 * sent by bulk jobs of about 1,000 events each, one in a thousand naming no instance) and half as many outbox rows (four
 * templates; a twentieth PENDING, one in a hundred FAILED, the rest SENT, as a delivering system leaves them).
 */
export async function seedOrganization(url: string, org: string, instances: number, options: { steps?: boolean; audit?: boolean } = {}): Promise<void> {
  const owner = new pg.Client({ connectionString: url });
  await owner.connect();
  try {
    await owner.query(
      `insert into core_organizations (id, organization_name, organization_code, created_by, updated_by) values ($1, 'Bench', $2, $3, $3)`,
      [org, `bench-${org}`, actor],
    );
    await owner.query(
      `insert into universal_transactions (organization_id, transaction_type, smart_code, transaction_status, metadata, created_at, updated_at, created_by, updated_by)
       select $1, 'WF_INSTANCE', 'HERA.UNIV.WF.INSTANCE.HEADER.v1', case when g % 10 = 0 then 'completed' else 'active' end,
              jsonb_build_object('definition_code', (array['LEAVE_APPROVAL','AP_BILL_APPROVAL','MEMBERSHIP_RENEWAL','APPT_FOLLOWUP'])[1 + g % 4],
                'definition_version', 1, 'current_state', (array['DRAFT','SUBMITTED','MANAGER_REVIEW','REVIEW','GRACE','DONE'])[1 + g % 6],
                'paused', g % 100 = 0, 'owner_team', case when g % 20 = 0 then 'operations' end,
                'sla_escalation_level', case when g % 2000 < 1000 then 1 else 0 end,
                'owner_user_id', '00000000-0000-4000-8000-0000000' || lpad((g % 1000)::text, 5, '0'),
                'sla_at', to_char((now() + (g % 2000 - 1000) * interval '1 hour') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                'subject_ref', jsonb_build_object('entity_id', 'e' || g, 'entity_type', 'bench'), 'context', '{}'::jsonb),
              now() - g * interval '1 second', now() - g * interval '1 second', $2, $2
         from generate_series(1, $3::int) g`,
      [org, actor, instances],
    );
    await owner.query(
      `with e as (
         insert into core_entities (organization_id, entity_type, entity_code, entity_name, smart_code, created_by, updated_by)
         select $1, 'WF_TASK', 'bench-' || g, 'Bench task', 'HERA.UNIV.WF.TASK.ENTITY.v1', $2, $2 from generate_series(1, $3::int) g
         returning id, entity_code)
       insert into core_dynamic_data (organization_id, entity_id, field_name, field_type, field_value_json, smart_code, created_at, created_by, updated_by)
       select $1, e.id, 'task', 'json', jsonb_build_object('task_id', e.id, 'title', 'Bench task',
                'instance_id', '00000000-0000-4000-8000-0000000' || lpad((n % 1000)::text, 5, '0'),
                'state', (array['OPEN','CLAIMED','COMPLETED'])[1 + n % 3], 'assignee_role', (array['manager','user','director','ap_manager'])[1 + n % 4],
                'priority', (array['low','medium','high','urgent'])[1 + n % 4],
                'due_at', to_char((now() + (n % 96 - 48) * interval '1 hour') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                'overdue_level', case when n % 96 < 47 then 1 else 0 end),
              'HERA.UNIV.WF.TASK.DATA.v1', now() - n * interval '1 second', $2, $2
         from (select id, substr(entity_code, 7)::int as n from e) e`,
      [org, actor, Math.floor(instances / 2)],
    );
    if (options.steps) {
      await owner.query(
        `insert into universal_transaction_lines (organization_id, transaction_id, line_number, line_type, smart_code, line_data, created_at, updated_at, created_by, updated_by)
         select $1, i.id, 2, 'WF_STEP', 'HERA.UNIV.WF.STEP.LINE.v1',
                jsonb_build_object('from', 'SUBMITTED', 'to', 'REVIEW', 'by', 'user', 'duration_ms', (i.n % 600) * 1000, 'definition_code', 'LEAVE_APPROVAL'),
                now() - (i.n % 10080) * interval '1 minute', now(), $2, $2
           from (select id, row_number() over () as n from universal_transactions
                  where organization_id = $1 and transaction_type = 'WF_INSTANCE' and metadata->>'definition_code' = 'LEAVE_APPROVAL') i
          where i.n % 3 = 0`,
        [org, actor],
      );
    }
    if (options.audit) {
      await owner.query(
        `insert into universal_transactions (organization_id, transaction_type, smart_code, transaction_status, metadata, created_at, updated_at, created_by, updated_by)
         select $1, 'WF_AUDIT', 'HERA.UNIV.WF.AUDIT.EVENT.v1', case when g % 23 = 0 then 'REFUSED' else 'SUCCESS' end,
                jsonb_build_object('procedure_code', case when g % 1000 = 7 then $4 else ($5::text[])[1 + g % array_length($5::text[], 1)] end,
                  'outcome', case when g % 23 = 0 then 'REFUSED' else 'SUCCESS' end,
                  'error_code', case when g % 23 = 0 then 'INSTANCE_ALREADY_PAUSED' end, 'actor_user_id', $2::uuid,
                  'instance_id', case when g % 1000 <> 7 then md5('instance' || g % greatest($3::int / 4, 1))::uuid end,
                  'reason', 'bench', 'correlation_id', 'bench-' || g, 'source', case when g % 10 in (1, 2) then 'bulk' else 'api' end,
                  'bulk_job_id', case when g % 10 in (1, 2) then md5('job' || g / 5000)::uuid end, 'input', jsonb_build_object('reason', 'bench')),
                now() - g * interval '1 second', now() - g * interval '1 second', $2, $2
           from generate_series(1, $3::int) g`,
        [org, actor, instances, rareAuditedProcedure, auditedProcedures],
      );
      await owner.query(
        `insert into universal_transactions (organization_id, transaction_type, smart_code, transaction_status, business_context, metadata, created_at, updated_at, created_by, updated_by)
         select $1, 'WF_NOTIFICATION', 'HERA.UNIV.WF.NOTIFICATION.HEADER.v1',
                case when g % 20 = 0 then 'PENDING' when g % 100 = 1 then 'FAILED' else 'SENT' end, jsonb_build_object('idem_key', 'bench:' || g),
                jsonb_build_object('instance_id', md5('instance' || g % greatest($3::int / 4, 1))::uuid,
                  'template', (array['sla_warning','sla_warning','sla_warning','sla_warning','sla_breach','sla_breach','sla_breach','task_overdue','task_overdue','workflow_event'])[1 + g % 10],
                  'recipient', jsonb_build_object('role', 'manager'), 'payload', jsonb_build_object('subject', 'bench')),
                now() - g * interval '2 second', now() - g * interval '2 second', $2, $2
           from generate_series(1, $3::int / 2) g`,
        [org, actor, instances],
      );
    }
    await owner.query('analyze universal_transactions; analyze core_entities; analyze core_dynamic_data; analyze universal_transaction_lines');
  } finally {
    await owner.end();
  }
}


export type SeedOptions = Parameters<typeof seedOrganization>[3];

/**
 * The database migrated, the application role provisioned, two organizations of `instances` each seeded (the first,
 * the measured one, with `measured`; the other with `other`), and a one-connection pool of the application role.
 */
export async function seededOrganizations(config: Config, instances: number, measured: SeedOptions, other: SeedOptions = measured) {
  const database = await resolveDatabase(config);
  await migrate(database.url);
  const appUrl = localAppUrl(database.url);
  await provisionAppRole(database.url, appUrl);
  const orgs = [randomUUID(), randomUUID()] as const;
  const started = performance.now();
  await seedOrganization(database.url, orgs[0], instances, measured);
  await seedOrganization(database.url, orgs[1], instances, other);
  const seedSeconds = (performance.now() - started) / 1000;
  const db: Db = await openDb({ ...dbOptions(config, appUrl), max: 1 });
  return { database, db, org: orgs[0], seedSeconds };
}
