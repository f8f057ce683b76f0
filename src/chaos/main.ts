import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import pg from 'pg';
import { signToken } from '../auth/jwt';
import { systemActorId } from '../db/queries/codes';
import { ensureOrganization } from '../db/queries/organizations';
import { freePort } from '../net';
import { checkRun, waitForQuiet } from './checks';
import { ApiClient, newStats } from './client';
import { Cluster } from './cluster';
import { chaosDefinition } from './definition';
import { runFaults, type FaultPlan } from './faults';
import { runLoad } from './load';
import { Random } from './random';
import { startReceiver, type Receiver } from './receiver';
import { summarize } from './summary';
import { Timeline } from './timeline';

/** The full run (issue 14) and the CI form: fewer instances, shorter faults, shorter waits. */
const modes = {
  full: {
    instances: 150,
    rampMs: 60_000,
    faults: { workerKillEveryMs: 5000, maxWorkerKills: 40, apiKillAtMs: 8000, postgresStopAtMs: 18_000, postgresOutageMs: 10_000, temporalRestartAtMs: 40_000, temporalDownMs: 3000 },
    retry: { attemptTimeoutMs: 45_000, budgetMs: 180_000, maxAttempts: 40 },
    reviewWaitMs: 150_000,
    quietMs: 240_000,
  },
  short: {
    instances: 40,
    rampMs: 20_000,
    faults: { workerKillEveryMs: 7000, maxWorkerKills: 6, apiKillAtMs: 4000, postgresStopAtMs: 9000, postgresOutageMs: 5000, temporalRestartAtMs: 18_000, temporalDownMs: 2000 },
    retry: { attemptTimeoutMs: 40_000, budgetMs: 75_000, maxAttempts: 25 },
    reviewWaitMs: 60_000,
    // CI has 3 minutes for the whole test: an effect held longer than this is reported (effects_not_completed, not_quiet).
    quietMs: 45_000,
  },
} satisfies Record<string, { instances: number; rampMs: number; faults: FaultPlan; retry: object; reviewWaitMs: number; quietMs: number }>;

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a positive integer');
  return n;
};

interface Options {
  instances?: number;
  short?: boolean;
  seed?: number;
  keep?: boolean;
  scratch?: string;
  concurrency: number;
}

async function run(options: Options): Promise<number> {
  const mode = options.short ? modes.short : modes.full;
  const instances = options.instances ?? mode.instances;
  const seed = options.seed ?? randomBytes(4).readUInt32BE();
  const scratch = options.scratch ?? mkdtempSync(path.join(os.tmpdir(), 'hera-chaos-'));
  mkdirSync(scratch, { recursive: true });
  const timeline = new Timeline();
  timeline.event(`chaos run: ${instances} instances, ${options.short ? 'short' : 'full'} form, seed ${seed}, scratch ${scratch}`);
  const random = new Random(seed);
  const cluster = new Cluster(scratch, timeline, '127.0.0.1');
  let receiver: Receiver | undefined;
  const cleanup = async () => {
    await cluster.stop();
    await receiver?.close();
    if (!options.keep) rmSync(scratch, { recursive: true, force: true });
    else timeline.event(`scratch kept: ${scratch}`);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    timeline.event(`${signal}: stopping everything`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    receiver = await startReceiver(await freePort(), seed);
    await cluster.start();
    const ownerPool = new pg.Pool({ connectionString: cluster.ownerUrl, max: 1 });
    const organization = await ensureOrganization(ownerPool, `chaos-${seed}`, 'Chaos run', systemActorId).finally(() => ownerPool.end());
    const token = (roles: string[]) => signToken(cluster.jwtSecret, { sub: randomUUID(), org: organization.id, roles }, '6h');
    const [admin, employee, manager] = await Promise.all([token(['admin']), token(['employee']), token(['manager'])]);

    const stats = newStats();
    const client = new ApiClient(cluster.apiUrl, mode.retry, stats);
    const registered = await client.call('register definition', 'POST', '/api/v1/definitions', { token: admin, key: 'chaos-definition', body: chaosDefinition(receiver.url) });
    if (!registered) throw new Error('the chaos definition was not registered (see the client failure above)');

    const started = Date.now();
    timeline.event('load begins');
    let loadDone = false;
    const loadRun = runLoad(client, { employee, manager }, { instances, concurrency: options.concurrency, rampMs: mode.rampMs, reviewWaitMs: mode.reviewWaitMs, runId: String(seed) }).finally(() => {
      loadDone = true;
      timeline.event('load done');
    });
    const [load, faults] = await Promise.all([loadRun, runFaults(cluster, mode.faults, timeline, stats, random, () => loadDone)]);
    const loadMs = Date.now() - started;
    timeline.event('faults done; waiting for quiet');
    const quiet = await waitForQuiet(cluster.ownerUrl, organization.id, mode.quietMs);
    timeline.event(quiet.quiet ? `quiet after ${quiet.waitedMs} ms` : `not quiet after ${quiet.waitedMs} ms`);
    const checks = await checkRun({ ownerUrl: cluster.ownerUrl, organizationId: organization.id, expectedInstances: instances, clientInstanceIds: load.instanceIds, stoppedClients: new Map(load.stopped.filter((s) => s.instance).map((s) => [s.instance!, `${s.step}: ${s.reason}`])), calls: receiver.calls, client, token: admin });
    for (const finding of checks.findings) process.stderr.write(`[chaos check] ${finding.check} instance=${finding.instance ?? '-'}: ${finding.detail}\n`);
    const summary = summarize({
      seed,
      short: Boolean(options.short),
      instances,
      durationMs: Date.now() - started,
      loadMs,
      load,
      stats,
      faults,
      restarts: cluster.restarts,
      exits: cluster.exits,
      quiet,
      checks,
      webhookCalls: receiver.calls.length,
      webhooksFailedFirstOnPurpose: receiver.failedFirst.size,
    });
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return summary.ok ? 0 : 1;
  } catch (error) {
    timeline.event(`chaos run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 2;
  } finally {
    await cleanup();
  }
}

const program = new Command('chaos')
  .description('drive instances through `hera api` and two `hera worker`s while killing them, stopping PostgreSQL and restarting Temporal; check that nothing was lost or doubled')
  .option('--instances <n>', 'instances to drive (default 150, --short 40)', positiveInt)
  .option('--short', 'the CI form: 40 instances, fewer and shorter faults')
  .option('--seed <n>', 'seed of the fault jitter and of which webhooks fail first (default random)', positiveInt)
  .option('--concurrency <n>', 'concurrent clients', positiveInt, 16)
  .option('--keep', 'keep the scratch dir (logs, data) after the run')
  .option('--scratch <dir>', 'the scratch dir (default a new one under the OS temp dir); its `pgids` lists every process group started')
  .action(async (options: Options) => {
    // Exit at once: a keep-alive socket or a closing pool must not hold the verdict back.
    process.exit(await run(options));
  });

void program.parseAsync();
