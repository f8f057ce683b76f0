import pg from 'pg';

const actor = '00000000-0000-4000-8000-000000000001';

/**
 * One organization of `instances` instances (four definitions, six states, a tenth completed, one in a hundred
 * paused, SLAs from 1,000 hours ago to 1,000 hours ahead, those past it breached) and half as many tasks, written
 * with set-based SQL as the owner; with `steps`, a transition line for one instance in twelve, over the last week.
 */
export async function seedOrganization(url: string, org: string, instances: number, options: { steps?: boolean } = {}): Promise<void> {
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
    await owner.query('analyze universal_transactions; analyze core_entities; analyze core_dynamic_data; analyze universal_transaction_lines');
  } finally {
    await owner.end();
  }
}

