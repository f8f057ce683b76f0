import pg from 'pg';
import { instanceSorts, listInstances, type InstanceFilter } from '../src/db/queries/instancesList';
import { listNotifications, listTasks, taskSorts, type TaskFilter } from '../src/db/queries/readModels';
import type { Sql } from '../src/db/pool';
import type { KeysetPosition } from '../src/db/queries/keyset';
import { listAuditEvents } from '../src/db/queries/audit';
import { listBulkItems, listBulkJobs, pendingBulkItems } from '../src/db/queries/bulk';
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
      `insert into universal_transactions (organization_id, transaction_type, smart_code, transaction_status, metadata, created_at, updated_at, created_by, updated_by)
       select $1, 'WF_INSTANCE', 'HERA.UNIV.WF.INSTANCE.HEADER.v1', case when g % 10 = 0 then 'completed' else 'active' end,
              jsonb_build_object('definition_code', 'PLAN_' || (g % 3), 'definition_version', 1,
                'current_state', (array['DRAFT','ACTIVE','ON_HOLD','REVIEW','DONE'])[1 + g % 5], 'paused', g % 50 = 0,
                'sla_at', to_char((now() + (g % 100 - 50) * interval '1 hour') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                'sla_check_at', to_char((now() + (g % 100 - 56) * interval '1 hour') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                'owner_team', case when g % 7 = 0 then 'operations' end,
                'owner_user_id', '00000000-0000-4000-8000-00000000000' || (g % 10),
                'failed_effects', case when g % 40 = 0 then 1 else 0 end, 'sla_escalation_level', case when g % 20 = 0 then g % 80 / 20 else 0 end),
              now() - g * interval '1 second', now() - g * interval '1 second', '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000001'
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
afterAll(async () => {
  // Everything this file seeded goes, children first, so no later sweep (they visit every organization) pays for
  // 5,000 instances with no workflow behind them. As the owner, in the organization's scope (a superuser
  // bypasses the policies; a non-superuser owner still sees this organization's rows).
  const owner = new pg.Client({ connectionString: h.env.databaseUrl });
  await owner.connect();
  try {
    await owner.query('begin');
    await owner.query("select set_config('hera.org_id', $1, true)", [org]);
    for (const table of ['universal_transaction_lines', 'core_dynamic_data', 'core_relationships', 'universal_transactions', 'core_entities']) {
      await owner.query(`delete from ${table} where organization_id = $1`, [org]);
    }
    await owner.query('delete from core_organizations where id = $1', [org]);
    await owner.query('commit');
    const { rows } = await owner.query(
      `select (select count(*) from universal_transaction_lines where organization_id = $1)::int
            + (select count(*) from core_dynamic_data where organization_id = $1)::int
            + (select count(*) from core_relationships where organization_id = $1)::int
            + (select count(*) from universal_transactions where organization_id = $1)::int
            + (select count(*) from core_entities where organization_id = $1)::int
            + (select count(*) from core_organizations where id = $1)::int as left_over`,
      [org],
    );
    expect(rows[0].left_over).toBe(0);
  } finally {
    await owner.end();
    await h.close();
  }
});

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Filter?: string;
  Plans?: PlanNode[];
}

/** Every node of a plan, depth first. */
function nodesOf(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(nodesOf)];
}

/** A plan as a failure message can show it: one line per node. */
function outline(nodes: PlanNode[]): string[] {
  return nodes.map((n) => [n['Node Type'], n['Index Name'], n['Index Cond'] && `cond ${n['Index Cond']}`, n.Filter && `filter ${n.Filter}`].filter(Boolean).join(' '));
}

/**
 * The plan of a query exactly as the API runs it: as the application role with the organization set, and with
 * the planner's normal settings on the seeded, analyzed data, so the plan is the one the planner picks.
 */
async function explain(run: (sql: Sql) => Promise<unknown>): Promise<PlanNode[]> {
  return h.system.services.db.withOrg(org, async (client) => {
    let plan: PlanNode | undefined;
    const explaining = {
      query: async (text: string, values: unknown[]) => {
        const { rows } = await client.query(`explain (format json) ${text}`, values);
        plan = rows[0]['QUERY PLAN'][0].Plan;
        return { rows: [] };
      },
    } as unknown as Sql & pg.PoolClient;
    await run(explaining);
    return nodesOf(plan!);
  });
}

/**
 * What a plan must show: the named index scanned with the organization AND the filter's own expression in its
 * Index Cond (`conditions`), no Filter left on `forbiddenFilter`, and for a list (`ordered`) no Sort node: the index
 * gives the order, so a page reads only its rows. (A sweep joins its due rows to their instances and may sort
 * that bounded result; the index still chooses the rows.)
 */
function expectServedBy(nodes: PlanNode[], index: string, conditions: string[], { forbiddenFilter, ordered = true }: { forbiddenFilter?: string; ordered?: boolean } = {}) {
  const scan = nodes.find((n) => n['Index Name'] === index);
  const summary = {
    index: scan?.['Index Name'],
    conditions: conditions.map((c) => `${(scan?.['Index Cond'] ?? '').includes(c)}: ${c}`),
    sorted: ordered && nodes.some((n) => /Sort/.test(n['Node Type'])),
    filtered: forbiddenFilter !== undefined && nodes.some((n) => (n.Filter ?? '').includes(forbiddenFilter)),
  };
  expect({ ...summary, plan: outline(nodes) }).toEqual({
    index,
    conditions: conditions.map((c) => `true: ${c}`),
    sorted: false,
    filtered: false,
    plan: outline(nodes),
  });
}

const planOf = (filter: InstanceFilter, sort: { by: (typeof instanceSorts)[number]; order: 'asc' | 'desc' }, after: KeysetPosition | null) =>
  explain((sql) => listInstances(sql, org, filter, sort, 50, after));
const taskPlanOf = (filter: TaskFilter, sort: { by: (typeof taskSorts)[number]; order: 'asc' | 'desc' }, after: KeysetPosition | null) =>
  explain((sql) => listTasks(sql, org, filter, sort, 50, after));

/** A cursor in the middle of the seeded rows: the second page's keyset condition is an Index Cond as well. */
const middle = { value: new Date(Date.now() - 2_500_000).toISOString(), id: '00000000-0000-4000-8000-000000000000' };
const byOrg = 'organization_id = ';
/** The keyset condition of a page after a cursor, as the plan prints it: (sort expression, id) past the cursor. */
const keyset = (sortExpression: string, idColumn: 'id' | 'entity_id', order: 'asc' | 'desc') =>
  `ROW(${sortExpression}, ${idColumn}) ${order === 'desc' ? '<' : '>'} ROW(`;
const instanceSortExpression = { created_at: 'created_at', updated_at: 'updated_at', sla_at: "wf_meta_time(metadata, 'sla_at'::text)" };
const taskSortExpression = { created_at: 'created_at', due_at: "wf_meta_time(field_value_json, 'due_at'::text)", completed_at: "wf_meta_time(field_value_json, 'completed_at'::text)" };

const newest = { by: 'created_at' as const, order: 'desc' as const };

// [name, filter, sort, index, the filter's own expression in the Index Cond]. The paused, failed-effects and SLA-level
// filters are the predicates of their partial indexes (`where … and wf_meta_bool(metadata, 'paused')`), so they are
// proved by the index, not an Index Cond: asserted as "no Filter on them is left". A list without a filter is served in its order by the index.
test.each([
  ['current_state', { currentState: 'ON_HOLD' }, newest, 'idx_wf_instances_state', "wf_meta_text(metadata, 'current_state'::text) = "],
  ['definition_code', { definitionCode: 'PLAN_1' }, newest, 'idx_wf_instances_definition', "wf_meta_text(metadata, 'definition_code'::text) = "],
  ['owner_team', { ownerTeam: 'operations' }, newest, 'idx_wf_instances_owner_team', "wf_meta_text(metadata, 'owner_team'::text) = "],
  ['owner_user_id', { ownerUserId: '00000000-0000-4000-8000-000000000003' }, newest, 'idx_wf_instances_owner_user', "wf_meta_uuid(metadata, 'owner_user_id'::text) = "],
  ['paused', { paused: true }, newest, 'idx_wf_instances_paused', null],
  ['overdue by SLA', { overdueAt: new Date().toISOString() }, { by: 'sla_at' as const, order: 'asc' as const }, 'idx_wf_instances_sla', "wf_meta_time(metadata, 'sla_at'::text) < "],
  ['updated_at order', {}, { by: 'updated_at' as const, order: 'desc' as const }, 'idx_wf_instances_updated', null],
  ['updated_before', { updatedBefore: new Date(Date.now() - hour).toISOString() }, { by: 'updated_at' as const, order: 'desc' as const }, 'idx_wf_instances_updated', 'updated_at < '],
  ['updated_after', { updatedAfter: new Date(Date.now() - hour).toISOString() }, { by: 'updated_at' as const, order: 'desc' as const }, 'idx_wf_instances_updated', 'updated_at >= '],
  ['has_failed_effects', { hasFailedEffects: true }, newest, 'idx_wf_instances_failed_effects', null],
  ['sla_level ≥ 1', { slaLevelMin: 1 }, newest, 'idx_wf_instances_sla_level_1', null],
  ['sla_level ≥ 2', { slaLevelMin: 2 }, newest, 'idx_wf_instances_sla_level_2', null],
  ['sla_level ≥ 3', { slaLevelMin: 3 }, newest, 'idx_wf_instances_sla_level_3', null],
])('a list filtered by %s is an index condition under forced RLS, first page and after a cursor', async (_name, filter, sort, index, condition) => {
  // A filter that is its index's predicate is proved by the index: no Filter on it may be left.
  const predicateOf: Partial<Record<keyof InstanceFilter, string>> = { paused: 'paused', hasFailedEffects: 'failed_effects', slaLevelMin: 'sla_escalation_level' };
  const forbiddenFilter = Object.entries(predicateOf).find(([key]) => key in filter)?.[1];
  expectServedBy(await planOf(filter, sort, null), index, [byOrg, ...(condition ? [condition] : [])], { forbiddenFilter });
  const after = keyset(instanceSortExpression[sort.by], 'id', sort.order);
  expectServedBy(await planOf(filter, sort, middle), index, [byOrg, ...(condition ? [condition] : []), after], { forbiddenFilter });
});

test.each([
  ['instance', { instanceId: '00000000-0000-4000-8000-000000000103' }, newest, 'idx_wf_tasks_instance', "wf_meta_uuid(field_value_json, 'instance_id'::text) = "],
  ['state', { taskState: 'OPEN' }, newest, 'idx_wf_tasks_state', "wf_meta_text(field_value_json, 'state'::text) = "],
  ['assignee role', { assigneeRole: 'director' }, newest, 'idx_wf_tasks_role', "wf_meta_text(field_value_json, 'assignee_role'::text) = "],
  ['assignee user', { assigneeUserId: '00000000-0000-4000-8000-000000000003' }, newest, 'idx_wf_tasks_user', "wf_meta_uuid(field_value_json, 'assignee_user_id'::text) = "],
  ['overdue by due date', { overdueAt: new Date().toISOString() }, { by: 'due_at' as const, order: 'asc' as const }, 'idx_wf_tasks_due', "wf_meta_time(field_value_json, 'due_at'::text) < "],
  ['nothing (newest first)', {}, newest, 'idx_wf_tasks_created', null],
])('a task list filtered by %s is an index condition under forced RLS, first page and after a cursor', async (_name, filter, sort, index, condition) => {
  expectServedBy(await taskPlanOf(filter, sort, null), index, [byOrg, ...(condition ? [condition] : [])]);
  const after = keyset(taskSortExpression[sort.by], 'entity_id', sort.order);
  expectServedBy(await taskPlanOf(filter, sort, middle), index, [byOrg, ...(condition ? [condition] : []), after]);
});

const resumeAt = { value: new Date(Date.now() - hour).toISOString(), id: '00000000-0000-4000-8000-000000000000' };

test.each([
  ['SLA sweep: active, unpaused instances with a level due', (after: KeysetPosition | null) => (sql: Sql) => slaCandidates(sql, org, new Date().toISOString(), 100, after),
    'idx_wf_instances_sla_check', "wf_meta_time(metadata, 'sla_check_at'::text) <= ", keyset("wf_meta_time(metadata, 'sla_check_at'::text)", 'id', 'asc')],
  ['late-timer sweep: PENDING timers past due', (after: KeysetPosition | null) => (sql: Sql) => lateTimers(sql, org, new Date().toISOString(), 500, after),
    'idx_wf_timers_pending_due', "wf_meta_time(metadata, 'fire_at'::text) < ", keyset("wf_meta_time(metadata, 'fire_at'::text)", 'id', 'asc')],
  ['overdue-task sweep: open tasks with a level due', (after: KeysetPosition | null) => (sql: Sql) => overdueTasks(sql, org, new Date().toISOString(), 200, after),
    'idx_wf_tasks_overdue_check', "wf_meta_time(field_value_json, 'overdue_check_at'::text) <= ", keyset("wf_meta_time(field_value_json, 'overdue_check_at'::text)", 'entity_id', 'asc')],
])('the %s is an index condition under forced RLS, on the first page and after a cursor', async (_name, query, index, condition, after) => {
  expectServedBy(await explain(query(null)), index, [byOrg, condition], { ordered: false });
  expectServedBy(await explain(query(resumeAt)), index, [byOrg, condition, after], { ordered: false });
});

describe('bulk jobs', () => {
  const jobId = '00000000-0000-4000-8000-00000000b001';
  beforeAll(async () => {
    // One job of 20,000 items, a third of them done, and 3,000 jobs to list.
    await h.system.services.db.withOrg(org, async (sql) => {
      await sql.query(
        `insert into universal_transactions (id, organization_id, transaction_type, smart_code, transaction_status, metadata, created_by, updated_by)
         select case when g = 0 then $2::uuid else gen_random_uuid() end, $1, 'WF_BULK_JOB', 'HERA.UNIV.WF.BULK.JOB.v1', 'completed',
                jsonb_build_object('operation', 'pause', 'matched', 5000), $3, $3
           from generate_series(0, 3000) g`,
        [org, jobId, '00000000-0000-4000-8000-000000000001'],
      );
      await sql.query(
        `insert into universal_transaction_lines (organization_id, transaction_id, line_number, line_type, smart_code, line_data, created_by, updated_by)
         select $1, $2, g, 'BULK_ITEM', 'HERA.UNIV.WF.BULK.ITEM.v1',
                jsonb_build_object('instance_id', gen_random_uuid(), 'outcome', case when g % 3 = 0 then 'done' else 'pending' end), $3, $3
           from generate_series(1, 20000) g`,
        [org, jobId, '00000000-0000-4000-8000-000000000001'],
      );
    });
    const owner = new pg.Client({ connectionString: h.env.databaseUrl });
    await owner.connect();
    await owner.query('analyze universal_transactions; analyze universal_transaction_lines');
    await owner.end();
  });

  const outcomeCond = "wf_meta_text(line_data, 'outcome'::text) = ";
  test('the next pending batch and the items by outcome are index conditions on the job', async () => {
    expectServedBy(await explain((sql) => pendingBulkItems(sql, org, jobId, 2500, 500)), 'idx_wf_bulk_items_outcome', ['transaction_id = ', outcomeCond, 'line_number > ']);
    expectServedBy(await explain((sql) => listBulkItems(sql, org, jobId, 'done', 50, null)), 'idx_wf_bulk_items_outcome', ['transaction_id = ', outcomeCond]);
    expectServedBy(await explain((sql) => listBulkItems(sql, org, jobId, 'done', 50, { value: '2400', id: jobId })), 'idx_wf_bulk_items_outcome', ['transaction_id = ', outcomeCond, 'ROW(line_number, id) > ROW(']);
    expectServedBy(await explain((sql) => listBulkItems(sql, org, jobId, undefined, 50, { value: '2400', id: jobId })), 'idx_wf_bulk_items_line', ['transaction_id = ', 'ROW(line_number, id) > ROW(']);
  });

  test('the jobs list is served in its order by the organization\'s index', async () => {
    expectServedBy(await explain((sql) => listBulkJobs(sql, org, {}, 50, null)), 'idx_ut_org_type_created', [byOrg, 'transaction_type = ']);
  });

  test('a job\'s audit events are an index condition', async () => {
    expectServedBy(await explain((sql) => listAuditEvents(sql, org, { bulkJobId: jobId }, 50, null)), 'idx_wf_audit_bulk_job', [byOrg, "wf_meta_uuid(metadata, 'bulk_job_id'::text) = "]);
  });
});

describe('audit events and the outbox', () => {
  const instanceId = '00000000-0000-4000-8000-000000000042';
  const jobId = '00000000-0000-4000-8000-0000000b0003';
  beforeAll(async () => {
    // 8,000 audit events over 2,000 instances (one in 23 refused, a fifth from bulk jobs of 1,000 events) and
    // 4,000 outbox rows over the same instances, four templates, a twentieth PENDING.
    await h.system.services.db.withOrg(org, async (sql) => {
      await sql.query(
        `insert into universal_transactions (organization_id, transaction_type, smart_code, transaction_status, metadata, created_at, updated_at, created_by, updated_by)
         select $1, 'WF_AUDIT', 'HERA.UNIV.WF.AUDIT.EVENT.v1', case when g % 23 = 0 then 'REFUSED' else 'SUCCESS' end,
                jsonb_build_object('procedure_code', (array['HERA.UNIV.WF.INSTANCE.PAUSE.V1','HERA.UNIV.WF.INSTANCE.RESUME.V1',
                    'HERA.UNIV.WF.INSTANCE.REASSIGN.V1','HERA.UNIV.WF.INSTANCE.CANCEL.V1','HERA.UNIV.WF.EFFECT.RETRY.V1'])[1 + g % 5],
                  'instance_id', '00000000-0000-4000-8000-' || lpad((g % 2000)::text, 12, '0'), 'actor_user_id', $2::uuid, 'source', 'api',
                  'bulk_job_id', case when g % 5 = 1 then '00000000-0000-4000-8000-0000000b' || lpad((g / 1000)::text, 4, '0') end),
                now() - g * interval '1 second', now() - g * interval '1 second', $2, $2
           from generate_series(1, 8000) g`,
        [org, '00000000-0000-4000-8000-000000000001'],
      );
      await sql.query(
        `insert into universal_transactions (organization_id, transaction_type, smart_code, transaction_status, business_context, metadata, created_at, updated_at, created_by, updated_by)
         select $1, 'WF_NOTIFICATION', 'HERA.UNIV.WF.NOTIFICATION.HEADER.v1', case when g % 20 = 0 then 'PENDING' else 'SENT' end,
                jsonb_build_object('idem_key', 'plans:' || g),
                jsonb_build_object('instance_id', '00000000-0000-4000-8000-' || lpad((g % 2000)::text, 12, '0'),
                  'template', (array['sla_warning','sla_breach','task_overdue','workflow_event'])[1 + g % 4], 'recipient', '{}'::jsonb, 'payload', '{}'::jsonb),
                now() - g * interval '2 second', now() - g * interval '2 second', $2, $2
           from generate_series(1, 4000) g`,
        [org, '00000000-0000-4000-8000-000000000001'],
      );
    });
    const owner = new pg.Client({ connectionString: h.env.databaseUrl });
    await owner.connect();
    await owner.query('analyze universal_transactions');
    await owner.end();
  });

  const newestFirst = keyset('created_at', 'id', 'desc');
  // [name, list, filter, index, the filter's own expression in the Index Cond]; the keyset order is the index's.
  test.each([
    ['instance', 'audit', { instanceId }, 'idx_wf_audit_instance', "wf_meta_uuid(metadata, 'instance_id'::text) = "],
    ['procedure', 'audit', { procedureCode: 'HERA.UNIV.WF.INSTANCE.PAUSE.V1' }, 'idx_wf_audit_procedure', "wf_meta_text(metadata, 'procedure_code'::text) = "],
    ['outcome', 'audit', { outcome: 'REFUSED' }, 'idx_wf_audit_outcome', 'transaction_status = '],
    ['bulk job', 'audit', { bulkJobId: jobId }, 'idx_wf_audit_bulk_job', "wf_meta_uuid(metadata, 'bulk_job_id'::text) = "],
    ['instance', 'notifications', { instanceId }, 'idx_wf_notifications_instance', "wf_meta_uuid(metadata, 'instance_id'::text) = "],
    ['template', 'notifications', { template: 'sla_breach' }, 'idx_wf_notifications_template', "wf_meta_text(metadata, 'template'::text) = "],
    ['status', 'notifications', { status: 'PENDING' }, 'idx_wf_notifications_status', 'transaction_status = '],
  ] as const)('the %s filter of the %s list is an index condition under forced RLS, first page and after a cursor', async (_name, list, filter, index, condition) => {
    const page = (after: KeysetPosition | null) => (sql: Sql) =>
      list === 'audit' ? listAuditEvents(sql, org, filter, 50, after) : listNotifications(sql, org, filter, 50, after);
    expectServedBy(await explain(page(null)), index, [byOrg, condition]);
    expectServedBy(await explain(page(middle)), index, [byOrg, condition, newestFirst]);
  });
});
