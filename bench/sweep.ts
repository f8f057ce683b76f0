/**
 * One SLA sweep over an organization with N active instances: N header rows (with as many PENDING timers and N/2
 * open tasks, none of them due) seeded with set-based SQL, plus D real instances (Temporal workflows) whose
 * SLA is breached at the sweep's `as_of`. Times a sweep with nothing due (through POST /api/v1/scheduler/run's
 * procedure), a sweep that escalates the D instances, and the same sweep again (nothing left to do); those two look
 * 25 h ahead, which the API allows only to dry runs, so they start the sweep workflow as the procedure does.
 * Starts its own Temporal dev server and an in-process worker.
 *
 *   DATABASE_URL=postgres://… npx tsx bench/sweep.ts --instances 100000 --due 1000
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import pg from 'pg';
import { systemActorId } from '../src/db/queries/codes';
import { writeSummary, type Figure } from './support/summary';
import { eachLimited, runBench, startBenchSystem } from './support/system';

/** Active instances, PENDING timers and open tasks whose next level is 7 to 37 days away: never due in this run. */
async function seed(url: string, org: string, instances: number): Promise<void> {
  const owner = new pg.Client({ connectionString: url });
  await owner.connect();
  const later = (expr: string) => `to_char((now() + interval '7 days' + (${expr}) * interval '1 minute') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  try {
    await owner.query(
      `insert into core_organizations (id, organization_name, organization_code, created_by, updated_by) values ($1, 'Sweep bench', $2, $3, $3)`,
      [org, `sweep-bench-${org}`, systemActorId],
    );
    await owner.query(
      `insert into universal_transactions (organization_id, transaction_type, smart_code, transaction_status, metadata, created_by, updated_by)
       select $1, 'WF_INSTANCE', 'HERA.UNIV.WF.INSTANCE.HEADER.v1', 'active',
              jsonb_build_object('definition_code', 'TEST_ADMIN_WORKFLOW', 'definition_version', 1, 'current_state', 'ACTIVE', 'paused', false,
                'owner_user_id', $4::text, 'sla_at', ${later('g % 43200 + 1440')}, 'sla_check_at', ${later('g % 43200')},
                'sla_duration_ms', 86400000, 'sla_warning_level', 0, 'sla_escalation_level', 0),
              $2, $2
         from generate_series(1, $3::int) g`,
      [org, systemActorId, instances, systemActorId],
    );
    await owner.query(
      `insert into universal_transactions (organization_id, transaction_type, smart_code, transaction_status, metadata, created_by, updated_by)
       select $1, 'WF_TIMER', 'HERA.UNIV.WF.TIMER.HEADER.v1', 'PENDING',
              jsonb_build_object('timer_id', gen_random_uuid(), 'instance_id', gen_random_uuid(), 'name', 'bench', 'fire_at', ${later('g % 43200')}, 'on_fire', '{}'::jsonb),
              $2, $2
         from generate_series(1, $3::int) g`,
      [org, systemActorId, instances],
    );
    await owner.query(
      `with e as (
         insert into core_entities (organization_id, entity_type, entity_code, entity_name, smart_code, created_by, updated_by)
         select $1, 'WF_TASK', 'bench-' || g, 'Bench task', 'HERA.UNIV.WF.TASK.ENTITY.v1', $2, $2 from generate_series(1, $3::int) g
         returning id, entity_code)
       insert into core_dynamic_data (organization_id, entity_id, field_name, field_type, field_value_json, smart_code, created_by, updated_by)
       select $1, e.id, 'task', 'json', jsonb_build_object('task_id', e.id, 'title', 'Bench task', 'instance_id', gen_random_uuid(),
                'state', 'OPEN', 'assignee_role', 'manager', 'priority', 'medium', 'due_at', ${later('n % 43200')},
                'overdue_level', 0, 'overdue_check_at', ${later('n % 43200 + 60')}),
              'HERA.UNIV.WF.TASK.DATA.v1', $2, $2
         from (select id, substr(entity_code, 7)::int as n from e) e`,
      [org, systemActorId, Math.floor(instances / 2)],
    );
    await owner.query('analyze universal_transactions; analyze core_entities; analyze core_dynamic_data');
  } finally {
    await owner.end();
  }
}

async function main(): Promise<void> {
  const options = new Command()
    .option('--instances <n>', 'seeded active instances (plus as many timers, half as many tasks)', (v) => Number(v), 100_000)
    .option('--due <n>', 'real instances whose SLA the sweep finds breached', (v) => Number(v), 1000)
    .option('--json <file>', 'write each sweep\'s times as JSON')
    .parse()
    .opts<{ instances: number; due: number; json?: string }>();
  const figures: Figure[] = [];
  const { config, system, ownerUrl, close } = await startBenchSystem('sweep');
  try {
    const org = randomUUID();
    let t = performance.now();
    await seed(ownerUrl, org, options.instances);
    console.log(`seeded ${options.instances} active instances, ${options.instances} PENDING timers, ${Math.floor(options.instances / 2)} open tasks in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const caller = { userId: systemActorId, organizationId: org, roles: ['admin', 'user'] };
    t = performance.now();
    await eachLimited(Array.from({ length: options.due }, (_, i) => i), 16, async () => {
      const res = await system.runProcedure('HERA.UNIV.WF.START.V1', { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE' }, caller);
      if (res.status !== 201) throw new Error(`start answered ${res.status}`);
    });
    const startSeconds = (performance.now() - t) / 1000;
    console.log(`started ${options.due} real instances in ${startSeconds.toFixed(1)} s (${(options.due / startSeconds).toFixed(0)}/s)`);

    const sweep = async (label: string, asOf: string) => {
      const began = performance.now();
      const r: Record<string, number> = Date.parse(asOf) > Date.now()
        ? await system.services.temporal.workflow.execute('sweepWorkflow', {
          workflowId: `bench-sweep-${randomUUID()}`,
          taskQueue: config.HERA_TASK_QUEUE,
          args: [{ trigger: 'api', organization_filter: [org], as_of: asOf }],
        })
        : ((await system.runProcedure('HERA.UNIV.WF.SCHEDULER.V1', { as_of: asOf }, caller)).body as Record<string, number>);
      const ms = performance.now() - began;
      figures.push({
        suite: 'sweep', figure: `sweep over ${options.instances.toLocaleString('en')} active, ${label}`, value: ms, unit: 'ms',
        note: `run ${r.run_duration_ms} ms in the workflow; ${r.instances_processed} processed, ${r.instances_escalated} escalated, ${r.errors} errors`,
      });
      console.log(
        `| ${label} | ${r.instances_processed} | ${r.instances_escalated} | ${r.notifications_sent} | ${r.errors} | ${r.run_duration_ms} | ${ms.toFixed(0)} |`,
      );
    };
    console.log('\n| sweep | instances processed | escalated | notices | errors | run ms (workflow) | answered in ms (procedure, or workflow client ahead of now) |');
    console.log('|---|---|---|---|---|---|---|');
    await sweep('nothing due', new Date().toISOString());
    const breach = new Date(Date.now() + 25 * 3_600_000).toISOString();
    await sweep(`${options.due} breached`, breach);
    await sweep('the same again', breach);
    await writeSummary(options.json, { suite: 'sweep', figures });
  } finally {
    await close();
  }
}

runBench(main);
