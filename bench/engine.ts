/**
 * The engine against its floor: instances per second of START + three ADVANCEs through the API (HTTP, a signed
 * token, a registered four-state definition, as a user would), against a bare Temporal workflow doing the same
 * Temporal work (update-with-start, then three Updates each running one no-op activity; bench/support/bareWorkflow.ts)
 * on its own task queue and worker in this process, on the same dev server, at the same concurrency. Phases run
 * bare, engine, engine, bare, so drift over the run weighs on both. Once with the dev server in memory and once
 * backed by a SQLite file (`--db-filename`). Starts its own dev server per mode, the HERA worker and the API.
 *
 *   npx tsx bench/engine.ts [--instances 200] [--concurrency 16] [--modes memory,file] [--profile DIR] [--json FILE]
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { Command } from 'commander';
import { signToken } from '../src/auth/jwt';
import { systemActorId } from '../src/db/queries/codes';
import { ensureOrganization } from '../src/db/queries/organizations';
import { startApi } from '../src/system';
import { instanceWorkflowId } from '../src/temporal/ids';
import { bareStartUpdate, bareStepUpdate, type bareWorkflow } from './support/bareWorkflow';
import { cpuMsPer, cpuSeconds } from './support/cpu';
import { startProfile, type ProfileSummary } from './support/profile';
import { writeSummary, type Figure } from './support/summary';
import { eachLimited, runBench, startBenchSystem } from './support/system';

const count = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a whole number, got ${v}`);
  return n;
};
const target = 0.85;
/** The processes besides this one whose CPU an instance costs: the Temporal dev server and PostgreSQL's backends. */
const cpuProcesses = ['temporal', 'postgres'];

/** The mean of each key over the readings (null when /proc could not be read). */
function meanOf(readings: Array<Record<string, number> | null>): Record<string, number> | null {
  if (!readings.length || readings.some((r) => r === null)) return null;
  const keys = Object.keys(readings[0]!);
  return Object.fromEntries(keys.map((k) => [k, Math.round((readings.reduce((sum, r) => sum + r![k], 0) / readings.length) * 10) / 10]));
}

interface ModeResult {
  mode: string;
  engine: number;
  bare: number;
  phases: Record<string, number>;
  /** What one instance of each cost Temporal: its history's events by type. */
  history: { engine: Record<string, number>; bare: Record<string, number> };
  /** CPU ms per instance of each over its timed phases: this process (API, workers, clients), the dev server, PostgreSQL. */
  cpuMsPerInstance: { engine: Record<string, number> | null; bare: Record<string, number> | null };
  profile?: ProfileSummary;
}

async function measure(mode: 'memory' | 'file', n: number, concurrency: number, profileDir?: string): Promise<ModeResult> {
  const dir = mode === 'file' ? await mkdtemp(join(tmpdir(), 'hera-engine-bench-')) : undefined;
  const secret = randomBytes(24).toString('hex');
  const bench = await startBenchSystem('engine', { HERA_JWT_SECRET: secret, HERA_RATE_LIMIT_RPS: '0' }, dir && join(dir, 'temporal.db'));
  const { config, system } = bench;
  const api = await startApi(config, system, 0);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const bareQueue = `bare-bench-${randomUUID().slice(0, 8)}`;
  const bareWorker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: bareQueue,
    workflowsPath: require.resolve('./support/bareWorkflow'),
    activities: { noop: async () => undefined },
  });
  const bareRunning = bareWorker.run();
  // The load's own HTTP client: node:http on kept-alive sockets, as autocannon uses. fetch (undici) cost this process
  // about 7 ms of CPU per instance, the load's cost rather than the system's.
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    const org = (await ensureOrganization(system.services.db.pool, `engine-bench-${randomUUID()}`, 'Engine bench', systemActorId)).id;
    const token = await signToken(secret, { sub: randomUUID(), org, roles: ['admin', 'user'] });
    const call = (path: string, body: unknown) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const payload = JSON.stringify(body);
        const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
        const req = http.request(`${api.url}${path}`, { method: 'POST', agent, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
            if (res.statusCode !== 200 && res.statusCode !== 201) reject(new Error(`POST ${path} answered ${res.statusCode}: ${JSON.stringify(answer)}`));
            else resolve(answer);
          });
        });
        req.on('error', reject);
        req.end(payload);
      });
    await call('/api/v1/definitions', {
      code: 'ENGINE_BENCH',
      states: ['A', 'B', 'C', 'D'],
      transitions: [{ from: 'A', to: 'B', by: ['user'] }, { from: 'B', to: 'C', by: ['user'] }, { from: 'C', to: 'D', by: ['user'] }],
    });
    let lastEngine = '';
    let lastBare = '';
    const engineOne = async () => {
      const id = String((await call('/api/v1/workflows', { definition_code: 'ENGINE_BENCH' })).instance_id);
      lastEngine = instanceWorkflowId(org, id);
      for (const to of ['B', 'C', 'D']) await call(`/api/v1/workflows/${id}/advance`, { to_state: to });
    };
    const client = system.services.temporal;
    const bareOne = async () => {
      const workflowId = `bare-bench-${randomUUID()}`;
      lastBare = workflowId;
      await client.workflow.executeUpdateWithStart(bareStartUpdate, {
        startWorkflowOperation: new WithStartWorkflowOperation<typeof bareWorkflow>('bareWorkflow', {
          workflowId,
          taskQueue: bareQueue,
          workflowIdConflictPolicy: 'USE_EXISTING',
          args: [3],
        }),
      });
      const handle = client.workflow.getHandle(workflowId);
      for (let i = 0; i < 3; i += 1) await handle.executeUpdate(bareStepUpdate);
    };
    const cpu = { engine: [] as Array<Record<string, number> | null>, bare: [] as Array<Record<string, number> | null> };
    const phase = async (one: () => Promise<void>, size = n) => {
      const began = performance.now();
      const before = cpuSeconds(cpuProcesses);
      await eachLimited(Array.from({ length: size }, (_, i) => i), concurrency, one);
      if (size === n) cpu[one === engineOne ? 'engine' : 'bare'].push(cpuMsPer(before, cpuSeconds(cpuProcesses), cpuProcesses, size));
      return (performance.now() - began) / 1000;
    };
    // Warm both paths (bundles loaded, JIT, pools filled) before timing.
    await phase(bareOne, concurrency);
    await phase(engineOne, concurrency);
    const bare1 = await phase(bareOne);
    const engine1 = await phase(engineOne);
    const profile = profileDir ? await startProfile() : undefined;
    const engine2 = await phase(engineOne);
    const top = await profile?.stop(join(profileDir ?? '.', `engine-${mode}.cpuprofile`));
    const bare2 = await phase(bareOne);
    const events = async (workflowId: string) => {
      const counts: Record<string, number> = {};
      for (const event of (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? []) {
        const type = String(temporal.api.enums.v1.EventType[event.eventType ?? 0]).replace(/^EVENT_TYPE_/, '').toLowerCase();
        counts[type] = (counts[type] ?? 0) + 1;
        counts.total = (counts.total ?? 0) + 1;
      }
      return counts;
    };
    const result = {
      mode,
      history: { engine: await events(lastEngine), bare: await events(lastBare) },
      engine: (2 * n) / (engine1 + engine2),
      bare: (2 * n) / (bare1 + bare2),
      phases: { bare1, engine1, engine2, bare2 },
      cpuMsPerInstance: { engine: meanOf(cpu.engine), bare: meanOf(cpu.bare) },
      ...(top ? { profile: top } : {}),
    };
    console.log(`${mode}: engine ${result.engine.toFixed(1)}/s, bare ${result.bare.toFixed(1)}/s, ratio ${(result.engine / result.bare).toFixed(2)} (phases s: ${[bare1, engine1, engine2, bare2].map((s) => s.toFixed(1)).join(', ')})`);
    console.log(`${mode}: CPU ms per instance: engine ${JSON.stringify(result.cpuMsPerInstance.engine)}; bare ${JSON.stringify(result.cpuMsPerInstance.bare)}`);
    console.log(`${mode}: one instance's history events: engine ${JSON.stringify(result.history.engine)}; bare ${JSON.stringify(result.history.bare)}`);
    return result;
  } finally {
    agent.destroy();
    bareWorker.shutdown();
    await bareRunning;
    await connection.close();
    await api.close();
    await bench.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const options = new Command()
    .option('--instances <n>', 'instances per timed phase (four phases)', count, 200)
    .option('--concurrency <n>', 'instances in flight at once, for both', count, 16)
    .option('--modes <list>', 'dev server storage: memory, file or both', 'memory,file')
    .option('--profile <dir>', 'write a CPU profile of this process (API and worker) during the second engine phase')
    .option('--json <file>', 'write the figures as JSON')
    .parse()
    .opts<{ instances: number; concurrency: number; modes: string; profile?: string; json?: string }>();
  const modes = options.modes.split(',').map((m) => m.trim());
  const results: ModeResult[] = [];
  for (const mode of modes) {
    if (mode !== 'memory' && mode !== 'file') throw new Error(`unknown mode ${mode}: memory or file`);
    results.push(await measure(mode, options.instances, options.concurrency, options.profile));
  }
  console.log(`\n${options.instances} instances per phase, ${options.concurrency} in flight`);
  console.log('| dev server | engine instances/s | bare Temporal instances/s | ratio |\n|---|---|---|---|');
  for (const r of results) console.log(`| ${r.mode} | ${r.engine.toFixed(1)} | ${r.bare.toFixed(1)} | ${(r.engine / r.bare).toFixed(2)} |`);
  const figures: Figure[] = results.map((r) => ({
    suite: 'engine',
    figure: `start + 3 advances, dev server ${r.mode === 'memory' ? 'in memory' : 'on a SQLite file'}`,
    value: r.engine,
    unit: 'instances/s',
    floor: r.bare,
    ratio: r.engine / r.bare,
    target: `≥ ${target}`,
    holds: r.engine / r.bare >= target,
    note: `${options.instances} instances per phase, ${options.concurrency} in flight`,
  }));
  await writeSummary(options.json, { suite: 'engine', figures, details: { results } });
}

runBench(main);
