import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, createWriteStream, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { localAppUrl, provisionAppRole } from '../../src/db/appRole';
import { migrate } from '../../src/db/migrate';
import { createDatabaseIfMissing, dropDatabase, startEmbeddedPostgres } from '../../src/db/provision';
import { freePort } from '../../src/net';
import { resolveTemporalCli } from '../../src/temporal/cli';
import { startDevServer } from '../../src/temporal/devServer';

const repoRoot = path.resolve(__dirname, '../..');

/** Stops for the teardown, in reverse order of start; kept on globalThis, which setup and teardown share. */
declare global {
  // eslint-disable-next-line no-var
  var heraTestStops: Array<() => Promise<void>>;
}

/** A fresh database (its owner's URL) and the name of the runtime's login role on its server. */
async function startDatabase(): Promise<{ url: string; appRole: string }> {
  const name = `hera_test_${randomBytes(4).toString('hex')}`;
  if (process.env.DATABASE_URL) {
    const adminUrl = new URL(process.env.DATABASE_URL);
    adminUrl.pathname = '/postgres';
    await createDatabaseIfMissing(adminUrl.toString(), name);
    // Roles are the server's, and shards run side by side: a login role of this run's own, in the hera_app group.
    const appRole = `${name}_app`;
    globalThis.heraTestStops.push(async () => {
      const admin = new pg.Client({ connectionString: adminUrl.toString() });
      await admin.connect();
      await admin.query(`drop role if exists ${admin.escapeIdentifier(appRole)}`).finally(() => admin.end());
    });
    globalThis.heraTestStops.push(() => dropDatabase(adminUrl.toString(), name));
    const url = new URL(process.env.DATABASE_URL);
    url.pathname = `/${name}`;
    return { url: url.toString(), appRole };
  }
  // Two shards start side by side, each with servers that take ports: a port free when chosen can be taken before
  // PostgreSQL binds it. Such a start fails without a reason; another port and directory are worth a second try.
  for (let attempt = 1; ; attempt += 1) {
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'hera-test-pg-'));
    // As root the server runs as the `postgres` user, which must be able to enter the directory.
    chmodSync(scratch, 0o755);
    try {
      const embedded = await startEmbeddedPostgres({ dataDir: path.join(scratch, 'data'), port: await freePort(), database: name });
      globalThis.heraTestStops.push(() => embedded.stop());
      return { url: embedded.url, appRole: 'hera_app' };
    } catch (error) {
      process.stderr.write(`embedded PostgreSQL did not start (attempt ${attempt}): ${String(error)}\n`);
      if (attempt === 3) throw error instanceof Error ? error : new Error(`embedded PostgreSQL did not start: ${String(error)}`);
    }
  }
}

/** Runs `hera worker` as a child process, its log in `logFile`, and resolves once it polls. */
async function startWorker(env: NodeJS.ProcessEnv, logFile: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin/hera.js'), 'worker'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  globalThis.heraTestStops.push(async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  });
  // Keep draining the log for the whole run: a full pipe would block the worker.
  const log = createWriteStream(logFile);
  child.stderr!.pipe(log);
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start:\n${output}`)), 120_000);
    const watch = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('worker running')) {
        clearTimeout(timer);
        child.stderr!.off('data', watch);
        resolve();
      }
    };
    child.stderr!.on('data', watch);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}:\n${output}`));
    });
  });
  return child;
}

/** One Temporal dev server, one fresh database and one worker for the whole run. */
export default async function globalSetup(): Promise<void> {
  globalThis.heraTestStops = [];
  try {
    await startEverything();
  } catch (error) {
    // Jest runs no teardown when the setup fails: stop what did start.
    for (const stop of globalThis.heraTestStops.reverse()) await stop().catch(() => undefined);
    throw error;
  }
}

/** Like Promise.all, but a failure is thrown only once every start has settled, so each one's stop is registered. */
async function allStarted<T extends readonly unknown[]>(starts: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(starts);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason instanceof Error ? failed.reason : new Error(`a start failed: ${String(failed.reason)}`);
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

async function startEverything(): Promise<void> {
  const cliPath = await resolveTemporalCli({ log: (line) => process.stderr.write(`${line}\n`) });
  // The three slow starts are independent: the Temporal dev server, the database with its migrations, and one
  // bundle of the workflow code for every worker and `hera dev` of this run (each would take seconds; in a
  // process of its own, since bundling inside Jest's module system is fragile).
  const workflowBundle = path.join(mkdtempSync(path.join(os.tmpdir(), 'hera-test-bundle-')), 'workflows.js');
  const [temporal, { databaseUrl, appDatabaseUrl }] = await allStarted([
    freePort().then(async (port) => {
      const server = await startDevServer({ cliPath, port });
      globalThis.heraTestStops.push(() => server.stop());
      return server;
    }),
    startDatabase().then(async ({ url, appRole }) => {
      await migrate(url);
      // The runtime (this process's APIs, every worker and `hera api`) connects as its own login role.
      const appUrl = localAppUrl(url, appRole);
      await provisionAppRole(url, appUrl);
      return { databaseUrl: url, appDatabaseUrl: appUrl };
    }),
    promisify(execFile)(process.execPath, [path.join(repoRoot, 'bin/hera.js'), 'bundle', workflowBundle], { cwd: repoRoot }),
  ] as const);
  process.env.HERA_WORKFLOW_BUNDLE = workflowBundle;

  const taskQueue = `hera-test-${randomBytes(3).toString('hex')}`;
  const jwtSecret = randomBytes(32).toString('base64url');
  Object.assign(process.env, {
    TEMPORAL_CLI: cliPath,
    HERA_TEST_DATABASE_URL: databaseUrl,
    HERA_APP_DATABASE_URL: appDatabaseUrl,
    TEMPORAL_ADDRESS: temporal.address,
    HERA_TASK_QUEUE: taskQueue,
    HERA_JWT_SECRET: jwtSecret,
    // Sweeps run only when a test asks: a schedule firing on its own would change other tests' instances.
    HERA_SWEEP_SCHEDULE: 'off',
    // A short grace, so the late-timer tests need not wait a minute past the due time.
    HERA_TIMER_GRACE: '1s',
    // A sweep's item may wait for a worker that is still starting on a loaded machine.
    HERA_SWEEP_ITEM_TIMEOUT: '50s',
    // The tests' webhook receivers listen on loopback, which a production worker refuses.
    HERA_WEBHOOK_ALLOW: '127.0.0.0/8,::1',
  });
  const workerLog = path.join(os.tmpdir(), `hera-test-worker-${taskQueue}.log`);
  process.stderr.write(`\nworker log: ${workerLog}\n`);
  const metricsPort = await freePort();
  process.env.HERA_TEST_WORKER_METRICS_URL = `http://127.0.0.1:${metricsPort}/metrics`;
  await startWorker({ ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'info', HERA_WORKER_METRICS_PORT: String(metricsPort) }, workerLog);
}
