/**
 * List query latency at scale: seeds N instances (and N/2 tasks) of one organization plus as many of another
 * with set-based SQL, and N audit events and N/2 outbox rows of the first, then times every list filter of
 * INSTANCES.LIST and TASKS.LIST and the AUDIT.LIST and NOTIFICATIONS.LIST filters as the application role under
 * forced row-level security, through the same query functions the API uses.
 *
 *   DATABASE_URL=postgres://… npx tsx bench/lists.ts --instances 100000 [--runs 200]
 */
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { loadConfig } from '../src/config';
import type { Sql } from '../src/db/pool';
import { listInstances } from '../src/db/queries/instancesList';
import { listAuditEvents } from '../src/db/queries/audit';
import { getInstance, listNotifications, listTasks } from '../src/db/queries/readModels';
import { rareAuditedProcedure, seededOrganizations } from './support/seed';
import { writeSummary, type Figure } from './support/summary';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  const options = new Command()
    .requiredOption('--instances <n>', 'instances per organization', (v) => Number(v))
    .option('--runs <n>', 'timed runs per query', (v) => Number(v), 200)
    .option('--json <file>', 'write each query\'s p50, p95 and Index Cond as JSON')
    .parse()
    .opts<{ instances: number; runs: number; json?: string }>();
  const { database, db, org, seedSeconds } = await seededOrganizations(loadConfig(), options.instances, { audit: true }, {});
  const someInstance = await db.withOrg(org, async (sql) => (await sql.query('select instance_id from wf_instances_view limit 1')).rows[0].instance_id);
  // An instance and a bulk job named by audit events (the seed derives their ids).
  const { auditInstance, bulkJob } = await db.withOrg(org, async (sql) => (await sql.query(
    `select (select instance_id from wf_audit_view where instance_id is not null limit 1) as "auditInstance",
            (select bulk_job_id from wf_audit_view where bulk_job_id is not null limit 1) as "bulkJob"`)).rows[0]);
  const newest = { by: 'created_at' as const, order: 'desc' as const };
  const queries: Array<[string, (sql: Sql) => Promise<unknown>]> = [
    ['instances, newest 50', (sql) => listInstances(sql, org, {}, newest, 50, null)],
    ['instances, state', (sql) => listInstances(sql, org, { currentState: 'REVIEW' }, newest, 50, null)],
    ['instances, definition', (sql) => listInstances(sql, org, { definitionCode: 'APPT_FOLLOWUP' }, newest, 50, null)],
    ['instances, paused', (sql) => listInstances(sql, org, { paused: true }, newest, 50, null)],
    ['instances, owner team', (sql) => listInstances(sql, org, { ownerTeam: 'operations' }, newest, 50, null)],
    ['instances, owner user', (sql) => listInstances(sql, org, { ownerUserId: '00000000-0000-4000-8000-000000000042' }, newest, 50, null)],
    ['instances, overdue by SLA', (sql) => listInstances(sql, org, { overdueAt: new Date().toISOString() }, { by: 'sla_at', order: 'asc' }, 50, null)],
    ['instance get', (sql) => getInstance(sql, org, someInstance)],
    ['tasks, newest 50', (sql) => listTasks(sql, org, {}, newest, 50, null)],
    ['tasks, open for a role', (sql) => listTasks(sql, org, { taskState: 'OPEN', assigneeRole: 'manager' }, newest, 50, null)],
    ['tasks, overdue by due date', (sql) => listTasks(sql, org, { overdueAt: new Date().toISOString() }, { by: 'due_at', order: 'asc' }, 50, null)],
    ['audit, newest 50', (sql) => listAuditEvents(sql, org, {}, 50, null)],
    ['audit, instance', (sql) => listAuditEvents(sql, org, { instanceId: auditInstance }, 50, null)],
    ['audit, procedure (a fifth)', (sql) => listAuditEvents(sql, org, { procedureCode: 'HERA.UNIV.WF.INSTANCE.PAUSE.V1' }, 50, null)],
    ['audit, procedure (one in 1,000)', (sql) => listAuditEvents(sql, org, { procedureCode: rareAuditedProcedure }, 50, null)],
    ['audit, outcome REFUSED', (sql) => listAuditEvents(sql, org, { outcome: 'REFUSED' }, 50, null)],
    ['audit, bulk job', (sql) => listAuditEvents(sql, org, { bulkJobId: bulkJob }, 50, null)],
    ['notifications, newest 50', (sql) => listNotifications(sql, org, {}, 50, null)],
    ['notifications, instance', (sql) => listNotifications(sql, org, { instanceId: auditInstance }, 50, null)],
    ['notifications, template', (sql) => listNotifications(sql, org, { template: 'sla_breach' }, 50, null)],
    ['notifications, status FAILED', (sql) => listNotifications(sql, org, { status: 'FAILED' }, 50, null)],
  ];
  console.log(`seeded ${options.instances} instances and ${Math.floor(options.instances / 2)} tasks in each of 2 organizations, ${options.instances} audit events and ${Math.floor(options.instances / 2)} outbox rows in the first, in ${seedSeconds.toFixed(1)} s`);
  console.log(`| query | p50 ms | p95 ms |\n|---|---|---|`);
  const timed = new Map<string, { p50: number; p95: number }>();
  for (const [name, query] of queries) {
    const run = () => db.withOrg(org, query);
    for (let i = 0; i < 20; i += 1) await run();
    const times: number[] = [];
    for (let i = 0; i < options.runs; i += 1) {
      const t = performance.now();
      await run();
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    timed.set(name, { p50: percentile(times, 50), p95: percentile(times, 95) });
    console.log(`| ${name} | ${percentile(times, 50).toFixed(2)} | ${percentile(times, 95).toFixed(2)} |`);
  }
  // The plans at this scale, as the application role with the organization set.
  console.log(`\n| query | plan (first index scan and its Index Cond) |\n|---|---|`);
  const figures: Figure[] = [];
  for (const [name, query] of queries) {
    const plan = await db.withOrg(org, async (client) => {
      let text = '';
      const explaining = {
        query: async (q: string, values: unknown[]) => {
          const { rows } = await client.query(`explain ${q}`, values);
          text = rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
          return { rows: [{ instance_id: someInstance }] };
        },
      } as unknown as Sql;
      await query(explaining);
      return text;
    });
    const scan = /(Index Scan|Index Only Scan|Bitmap Index Scan)[^\n]*/.exec(plan)?.[0] ?? plan.split('\n')[0];
    const cond = /Index Cond: ([^\n]*)/.exec(plan)?.[1] ?? '(none)';
    console.log(`| ${name} | ${scan.trim()}; ${cond.trim()} |`);
    // The audit and notification filters' target: p95 ≤ 15 ms, each on an Index Cond.
    const filtered = /audit|notification/i.test(name);
    const { p50, p95 } = timed.get(name)!;
    figures.push({
      suite: 'lists', figure: `${name}, ${options.instances.toLocaleString('en')} instances: p95`, value: p95, unit: 'ms',
      ...(filtered ? { target: '≤ 15 ms, Index Cond', holds: p95 <= 15 && cond !== '(none)' } : {}),
      note: `p50 ${p50.toFixed(2)} ms; ${cond === '(none)' ? 'no Index Cond' : `Index Cond ${cond.trim().replaceAll(org, '$org')}`}`,
    });
  }
  await writeSummary(options.json, { suite: 'lists', figures, details: { instances: options.instances, seedSeconds } });
  await db.close();
  await database.stop();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
