import pg from 'pg';
import { instanceSorts, listInstances, type InstanceFilter } from '../src/db/queries/instancesList';
import type { Sql } from '../src/db/pool';
import { startHarness, type Harness } from './support/harness';

let h: Harness;
let org: string;

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
                'owner_team', case when g % 7 = 0 then 'operations' end,
                'owner_user_id', '00000000-0000-4000-8000-00000000000' || (g % 10)),
              now() - g * interval '1 second', '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000001'
         from generate_series(1, 5000) g`,
      [org],
    ),
  );
  // Statistics as the table owner (the application role may not analyze).
  const owner = new pg.Client({ connectionString: h.env.databaseUrl });
  await owner.connect();
  await owner.query('analyze universal_transactions');
  await owner.end();
});
afterAll(() => h.close());

/** The plan of the list query exactly as the API runs it, as the application role with the org set. */
async function planOf(filter: InstanceFilter, sort: { by: (typeof instanceSorts)[number]; order: 'asc' | 'desc' }): Promise<string> {
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
    await listInstances(explaining, org, filter, sort, 50, null);
    return plan;
  });
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
  const conds = [...plan.matchAll(/"Index Cond":"([^"]*(?:\\"[^"]*)*)"/g)].map((m) => m[1]).join(' | ');
  expect(conds).toContain(condition);
});
