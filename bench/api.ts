/**
 * The API against its floor: req/s and p99 (autocannon, 32 connections) of the instance list, an instance get,
 * the task list and an advance, through the API and through a bare Express app (bench/support/minimalApi.ts) that
 * does the same token check, transaction and SQL, or sends the same Update, on the same servers and data. The
 * organization holds N seeded instances (N/2 tasks) plus two real instances per connection, defined with A ⇄ B:
 * each advance moves an instance no other request is moving to the state it is not in, so each is valid. Per route:
 * floor, API, API, floor (drift weighs on both); autocannon runs in a child process (bench/support/load.ts).
 *
 *   npx tsx bench/api.ts [--instances 10000] [--seconds 10] [--connections 32] [--profile DIR] [--json FILE]
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { signToken } from '../src/auth/jwt';
import { getInstance } from '../src/db/queries/readModels';
import { startApi } from '../src/system';
import type { LoadResult, LoadSpec } from './support/load';
import { startMinimalApi } from './support/minimalApi';
import { startProfile, type ProfileSummary } from './support/profile';
import { seedOrganization } from './support/seed';
import { writeSummary, type Figure } from './support/summary';
import { runBench, startBenchSystem } from './support/system';

const count = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a whole number, got ${v}`);
  return n;
};
const run = promisify(execFile);

/** The slowest answer of the last run: requests it left in flight (the load generator hung up) end within it. */
let lastP99Ms = 0;

async function load(spec: LoadSpec): Promise<LoadResult> {
  const { stdout } = await run('npx', ['tsx', join(__dirname, 'support/load.ts'), JSON.stringify(spec)], { maxBuffer: 1 << 24 });
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as LoadResult;
  lastP99Ms = result.p99Ms;
  return result;
}

/** Waits for the requests the last run left in flight: twice its p99, at most 30 s. */
const settle = () => new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 2 * lastP99Ms + 500)));

async function main(): Promise<void> {
  const options = new Command()
    .option('--instances <n>', 'seeded instances in the organization (and half as many tasks)', count, 10_000)
    .option('--seconds <n>', 'seconds of each autocannon run (four per route)', count, 10)
    .option('--connections <n>', 'autocannon connections', count, 32)
    .option('--profile <dir>', 'write a CPU profile of this process during each route\'s second API run')
    .option('--json <file>', 'write the figures as JSON')
    .parse()
    .opts<{ instances: number; seconds: number; connections: number; profile?: string; json?: string }>();
  const secret = randomBytes(24).toString('hex');
  const bench = await startBenchSystem('api', { HERA_JWT_SECRET: secret, HERA_RATE_LIMIT_RPS: '0' });
  const { config, system } = bench;
  const api = await startApi(config, system, 0);
  const floor = await startMinimalApi(secret, system.services.db, system.services.temporal);
  try {
    const org = randomUUID();
    await seedOrganization(bench.ownerUrl, org, options.instances);
    const token = await signToken(secret, { sub: randomUUID(), org, roles: ['admin', 'user'] });
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${api.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const answer = (await res.json()) as Record<string, unknown>;
      if (!res.ok) throw new Error(`POST ${path} answered ${res.status}: ${JSON.stringify(answer)}`);
      return answer;
    };
    await post('/api/v1/definitions', { code: 'API_BENCH', states: ['A', 'B'], transitions: [{ from: 'A', to: 'B', by: ['user'] }, { from: 'B', to: 'A', by: ['user'] }] });
    const live: string[] = [];
    // Twice as many as connections: an advance takes one that no other request is moving.
    for (let i = 0; i < 2 * options.connections; i += 1) live.push(String((await post('/api/v1/workflows', { definition_code: 'API_BENCH' })).instance_id));
    const db = system.services.db;
    const seeded = await db.withOrg(org, async (sql) => (await sql.query(`select instance_id from wf_instances_view where organization_id = $1 and instance_id <> all($2::uuid[]) limit 1`, [org, live])).rows[0].instance_id as string);
    /** Each live instance's state once the last run's advances have landed. */
    const states = async () => {
      await settle();
      return db.withOrg(org, async (sql) => {
        const at: string[] = [];
        for (const id of live) at.push(String((await getInstance(sql, org, id))?.current_state));
        return at;
      });
    };

    const routes: Array<{ name: string; method: 'GET' | 'POST'; path: string; target?: number }> = [
      { name: 'instance list', method: 'GET', path: '/api/v1/workflows', target: 0.8 },
      { name: 'instance get', method: 'GET', path: `/api/v1/workflows/${seeded}`, target: 0.8 },
      { name: 'task list', method: 'GET', path: '/api/v1/tasks', target: 0.8 },
      { name: 'advance', method: 'POST', path: '/api/v1/workflows/:instance_id/advance' },
    ];
    const figures: Figure[] = [];
    const profiles: Record<string, ProfileSummary> = {};
    const table: string[] = [];
    for (const route of routes) {
      const spec = async (url: string, seconds = options.seconds): Promise<LoadSpec> => {
        const base = { url, path: route.path, method: route.method, token, connections: options.connections, seconds };
        if (route.method === 'GET') return base;
        const at = await states();
        return { ...base, advance: { instances: live.map((id, i) => ({ id, at: at[i] })), states: ['A', 'B'] } };
      };
      await load(await spec(floor.url, 1));
      await load(await spec(api.url, 1));
      const f1 = await load(await spec(floor.url));
      const a1 = await load(await spec(api.url));
      const profile = options.profile ? await startProfile() : undefined;
      const a2 = await load(await spec(api.url));
      if (profile) profiles[route.name] = await profile.stop(join(options.profile!, `api-${route.name.replace(/ /g, '-')}.cpuprofile`));
      const f2 = await load(await spec(floor.url));
      if (route.method === 'POST') await settle();
      const failed = [f1, a1, a2, f2].reduce((sum, r) => sum + r.non2xx + r.errors, 0);
      const rps = (a1.rps + a2.rps) / 2;
      const floorRps = (f1.rps + f2.rps) / 2;
      const p99 = (a1.p99Ms + a2.p99Ms) / 2;
      const floorP99 = (f1.p99Ms + f2.p99Ms) / 2;
      const note = `${options.connections} connections, ${options.seconds} s × 2 each${failed ? `; ${failed} requests failed` : ''}`;
      figures.push({
        suite: 'api', figure: `${route.name} req/s`, value: rps, unit: 'req/s', floor: floorRps, ratio: rps / floorRps,
        ...(route.target ? { target: `≥ ${route.target}`, holds: rps / floorRps >= route.target && !failed } : {}), note,
      });
      figures.push({ suite: 'api', figure: `${route.name} p99`, value: p99, unit: 'ms', floor: floorP99, ratio: floorP99 / p99, note });
      table.push(`| ${route.name} | ${rps.toFixed(0)} | ${floorRps.toFixed(0)} | ${(rps / floorRps).toFixed(2)} | ${p99.toFixed(1)} | ${floorP99.toFixed(1)} | ${failed} |`);
      console.log(table.at(-1));
    }
    console.log(`\n${options.instances} seeded instances, ${options.connections} connections, ${options.seconds} s per run`);
    console.log('| route | API req/s | floor req/s | ratio | API p99 ms | floor p99 ms | failed requests |\n|---|---|---|---|---|---|---|');
    for (const line of table) console.log(line);
    for (const [name, { idle, top }] of Object.entries(profiles)) {
      console.log(`\nAPI process under ${name}: idle ${(100 * idle).toFixed(0)} %; self time of the busy rest: ${top.map((t) => `${t.fn} ${(100 * t.share).toFixed(1)} %`).join('; ')}`);
    }
    await writeSummary(options.json, { suite: 'api', figures, details: { profiles } });
  } finally {
    await floor.close();
    await api.close();
    await bench.close();
  }
}

runBench(main);
