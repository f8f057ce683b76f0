import pg from 'pg';
import { instanceSorts, listInstances, type InstanceFilter } from '../src/db/queries/instancesList';
import { listTasks, taskSorts, type TaskFilter } from '../src/db/queries/readModels';
import type { Sql } from '../src/db/pool';
import type { KeysetPosition } from '../src/db/queries/keyset';
import { lateTimers, overdueTasks, slaCandidates } from '../src/db/queries/sweep';
import { startHarness, type Harness } from './support/harness';

let h: Harness;
let org: string;
const hour = 3_600_000;

beforeAll(async () => {
  h = await startHarness();
  org = (await h.organization()).id;
  // Set-based seed of 5,000 instances, then fresh statistics.
  await h.system.services.db.withOrg(org, (sql) =>
    sql.query(
      `insert into universal_transactions (organization_id, transaction_type, smart_code, transaction_status, metadata, created_at, created_by, updated_by)
       select $1, 'WF_INSTANCE', 'HERA.UNIV.WF.INSTANCE.HEADER.v1', case when g % 10 = 0 then 'completed' else 'active' end,
              jsonb_build_object('definition_code', 'PLAN_' || (g % 3), 'definition_version', 1,
                'current_state', (array['DRAFT','ACTIVE','ON_HOLD','REVIEW','DONE'])[1 + g % 5], 'paused', g % 50 = 0,
                'sla_at', to_char((now() + (g % 100 - 50) * interval '1 hour') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                'sla_check_at', to_char((now() + (g % 100 - 56) * interval '1 hour') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                'owner_team', case when g % 7 = 0 then 'operations' end,
                'owner_user_id', '00000000-0000-4000-8000-00000000000' || (g % 10)),
              now() - g * interval '1 second', '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000001'
         from generate_series(1, 5000) g`,
      [org],
    ),
  );
  await h.system.services.db.withOrg(org, async (sql) => {
    await sql.query(
      `insert into core_entities (id, organization_id, entity_type, entity_code, entity_name, smart_code, created_by, updated_by)
       select gen_random_uuid(), $1, 'WF_TASK', 'seed-' || g, 'Seeded task', 'HERA.UNIV.WF.TASK.ENTITY.v1',
              '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000001'
         from generate_series(1, 3000) g`,
      [org],
    );
    await sql.query(
      `insert into core_dynamic_data (organization_id, entity_id, field_name, field_type, field_value_json, smart_code, created_at, created_by, updated_by)
       select e.organization_id, e.id, 'task', 'json',
              jsonb_build_object('task_id', e.id, 'title', 'Seeded task', 'instance_id', '00000000-0000-4000-8000-00000000010' || (n % 10),
                'state', (array['OPEN','CLAIMED','COMPLETED'])[1 + n % 3], 'assignee_role', (array['manager','user','director'])[1 + n % 3],
                'priority', 'medium', 'due_at', to_char((now() + (n % 48 - 24) * interval '1 hour') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                'overdue_check_at', to_char((now() + (n % 48 - 23) * interval '1 hour') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
              'HERA.UNIV.WF.TASK.DATA.v1', now() - n * interval '1 second', e.created_by, e.created_by
         from (select *, row_number() over () as n from core_entities where organization_id = $1 and entity_type = 'WF_TASK') e`,
      [org],
    );
  });
  // Statistics as the table owner (the application role may not analyze).
  const owner = new pg.Client({ connectionString: h.env.databaseUrl });
  await owner.connect();
  await owner.query('analyze universal_transactions; analyze core_dynamic_data');
  await owner.end();
});
afterAll(() => h.close());

/** The plan of a list query exactly as the API runs it, as the application role with the org set. */
async function explain(run: (sql: Sql) => Promise<unknown>): Promise<string> {
  return h.system.services.db.withOrg(org, async (client) => {
    // Ask whether an index can serve the query, not whether the tiny test table is cheaper to scan.
    await client.query('set local enable_seqscan = off');
    let plan = '';
    const explaining = {
      query: async (text: string, values: unknown[]) => {
        const { rows } = await client.query(`explain (format json) ${text}`, values);
        plan = JSON.stringify(rows[0]['QUERY PLAN']);
        return { rows: [] };
      },
    } as unknown as Sql & pg.PoolClient;
    await run(explaining);
    return plan;
  });
}

const planOf = (filter: InstanceFilter, sort: { by: (typeof instanceSorts)[number]; order: 'asc' | 'desc' }) =>
  explain((sql) => listInstances(sql, org, filter, sort, 50, null));
const taskPlanOf = (filter: TaskFilter, sort: { by: (typeof taskSorts)[number]; order: 'asc' | 'desc' }) =>
  explain((sql) => listTasks(sql, org, filter, sort, 50, null));

function indexConditions(plan: string): string {
  return [...plan.matchAll(/"Index Cond":"([^"]*(?:\\"[^"]*)*)"/g)].map((m) => m[1]).join(' | ');
}

const newest = { by: 'created_at' as const, order: 'desc' as const };

test.each([
  ['current_state', { currentState: 'ON_HOLD' }, newest, 'idx_wf_instances_state', "wf_meta_text(metadata, 'current_state'::text) = "],
  ['definition_code', { definitionCode: 'PLAN_1' }, newest, 'idx_wf_instances_definition', "wf_meta_text(metadata, 'definition_code'::text) = "],
  ['owner_team', { ownerTeam: 'operations' }, newest, 'idx_wf_instances_owner_team', "wf_meta_text(metadata, 'owner_team'::text) = "],
  ['owner_user_id', { ownerUserId: '00000000-0000-4000-8000-000000000003' }, newest, 'idx_wf_instances_owner_user', "wf_meta_uuid(metadata, 'owner_user_id'::text) = "],
  ['paused', { paused: true }, newest, 'idx_wf_instances_paused', 'organization_id = '],
  ['overdue by SLA', { overdueAt: new Date().toISOString() }, { by: 'sla_at' as const, order: 'asc' as const }, 'idx_wf_instances_sla', "wf_meta_time(metadata, 'sla_at'::text) < "],
  ['updated_at order', {}, { by: 'updated_at' as const, order: 'desc' as const }, 'idx_wf_instances_updated', 'organization_id = '],
])('a list filtered by %s is an index condition under forced RLS', async (_name, filter, sort, index, condition) => {
  const plan = await planOf(filter, sort);
  expect(plan).toContain(`"Index Name":"${index}"`);
  expect(indexConditions(plan)).toContain(condition);
});

test.each([
  ['instance', { instanceId: '00000000-0000-4000-8000-000000000103' }, newest, 'idx_wf_tasks_instance', "wf_meta_uuid(field_value_json, 'instance_id'::text) = "],
  ['state', { taskState: 'OPEN' }, newest, 'idx_wf_tasks_state', "wf_meta_text(field_value_json, 'state'::text) = "],
  ['assignee role', { assigneeRole: 'director' }, newest, 'idx_wf_tasks_role', "wf_meta_text(field_value_json, 'assignee_role'::text) = "],
  ['assignee user', { assigneeUserId: '00000000-0000-4000-8000-000000000003' }, newest, 'idx_wf_tasks_user', "wf_meta_uuid(field_value_json, 'assignee_user_id'::text) = "],
  ['overdue by due date', { overdueAt: new Date().toISOString() }, { by: 'due_at' as const, order: 'asc' as const }, 'idx_wf_tasks_due', "wf_meta_time(field_value_json, 'due_at'::text) < "],
  ['nothing (newest first)', {}, newest, 'idx_wf_tasks_created', 'organization_id = '],
])('a task list filtered by %s is an index condition under forced RLS', async (_name, filter, sort, index, condition) => {
  const plan = await taskPlanOf(filter, sort);
  expect(plan).toContain(`"Index Name":"${index}"`);
  expect(indexConditions(plan)).toContain(condition);
});

const resumeAt = { value: new Date(Date.now() - hour).toISOString(), id: '00000000-0000-4000-8000-000000000000' };

test.each([
  ['SLA sweep: active, unpaused instances with a level due', (after: KeysetPosition | null) => (sql: Sql) => slaCandidates(sql, org, new Date().toISOString(), 100, after),
    'idx_wf_instances_sla_check', "wf_meta_time(metadata, 'sla_check_at'::text) <= "],
  ['late-timer sweep: PENDING timers past due', (after: KeysetPosition | null) => (sql: Sql) => lateTimers(sql, org, new Date().toISOString(), 500, after),
    'idx_wf_timers_pending_due', "wf_meta_time(metadata, 'fire_at'::text) < "],
  ['overdue-task sweep: open tasks with a level due', (after: KeysetPosition | null) => (sql: Sql) => overdueTasks(sql, org, new Date().toISOString(), 200, after),
    'idx_wf_tasks_overdue_check', "wf_meta_time(field_value_json, 'overdue_check_at'::text) <= "],
])('the %s is an index condition under forced RLS, on the first page and after a cursor', async (_name, query, index, condition) => {
  for (const after of [null, resumeAt]) {
    const plan = await explain(query(after));
    expect(plan).toContain(`"Index Name":"${index}"`);
    expect(indexConditions(plan)).toContain(condition);
  }
});
