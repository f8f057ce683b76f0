/**
 * What the metrics' counting triggers cost a write: single-row updates of an instance header as the API's
 * activities make them (one statement in an organization's transaction, the state changing, so counters move),
 * timed with the triggers and with them disabled, in the same run.
 *
 *   npx tsx bench/metricsWriteCost.ts [--updates 2000]
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import pg from 'pg';
import { loadConfig } from '../src/config';
import { localAppUrl, provisionAppRole } from '../src/db/appRole';
import { migrate } from '../src/db/migrate';
import { dbOptions, openDb } from '../src/db/pool';
import { resolveDatabase } from '../src/db/resolve';
import { seedOrganization } from './support/seed';

const triggers = ['wf_metrics_transactions_insert', 'wf_metrics_transactions_update', 'wf_metrics_transactions_delete'];
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main() {
  const { updates } = new Command().option('--updates <n>', 'timed updates per phase', (v) => Number(v), 2000).parse().opts<{ updates: number }>();
  const config = loadConfig();
  const database = await resolveDatabase(config);
  await migrate(database.url);
  const appUrl = localAppUrl(database.url);
  await provisionAppRole(database.url, appUrl);
  const org = randomUUID();
  await seedOrganization(database.url, org, 10_000);
  const owner = new pg.Client({ connectionString: database.url });
  await owner.connect();
  const db = await openDb({ ...dbOptions(config, appUrl), max: 1 });
  const ids: string[] = await db.withOrg(org, async (sql) => (await sql.query(`select instance_id from wf_instances_view where status = 'active' limit 500`)).rows.map((r) => r.instance_id));
  const phase = async (n: number) => {
    const times: number[] = [];
    for (let i = 0; i < n; i += 1) {
      const t = performance.now();
      await db.withOrg(org, (sql) =>
        sql.query(`update universal_transactions set metadata = metadata || jsonb_build_object('current_state', $3::text), updated_at = now() where organization_id = $1 and id = $2`, [
          org,
          ids[i % ids.length],
          i % 2 ? 'REVIEW' : 'SUBMITTED',
        ]),
      );
      times.push(performance.now() - t);
    }
    return times.sort((a, b) => a - b);
  };
  const set = async (on: boolean) => {
    for (const name of triggers) await owner.query(`alter table universal_transactions ${on ? 'enable' : 'disable'} trigger ${name}`);
  };
  try {
    await phase(200);
    // Alternating phases, so drift over the run weighs on both sides.
    const results: Record<'with' | 'without', number[]> = { with: [], without: [] };
    for (const on of [true, false, false, true]) {
      await set(on);
      results[on ? 'with' : 'without'].push(...(await phase(updates / 2)));
    }
    console.log('| one header update (own transaction) | p50 ms | p95 ms |\n|---|---|---|');
    for (const [name, times] of Object.entries(results)) {
      times.sort((a, b) => a - b);
      console.log(`| ${name} the counting triggers | ${percentile(times, 50).toFixed(3)} | ${percentile(times, 95).toFixed(3)} |`);
    }
  } finally {
    await set(true);
    await owner.end();
    await db.close();
    await database.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
