import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { localAppUrl, provisionAppRole } from '../db/appRole';
import { migrate } from '../db/migrate';
import { startEmbeddedPostgres, type ProvisionedDatabase } from '../db/provision';
import { freePort } from '../net';
import { resolveTemporalCli } from '../temporal/cli';
import { startDevServer, type DevServer } from '../temporal/devServer';
import { Supervised, type ProcessExit } from './processes';
import type { Timeline } from './timeline';

const repoRoot = path.resolve(__dirname, '../..');
const heraBin = path.join(repoRoot, 'bin/hera.js');

/** Restarts after crashes, per process: a process that keeps crashing is left down (and reported) past this. */
const maxCrashRestarts = 20;

/** The system under test: Temporal (file-backed), PostgreSQL, one `hera api` and two `hera worker`s, on loopback. */
export class Cluster {
  readonly exits: ProcessExit[] = [];
  /** Restarts the chaos run asked for, and those after a crash, by process name. */
  readonly restarts: Record<string, number> = {};
  readonly crashRestarts: Record<string, number> = {};
  apiUrl = '';
  ownerUrl = '';
  jwtSecret = randomBytes(32).toString('base64url');
  api!: Supervised;
  workers: Supervised[] = [];
  private temporal?: DevServer;
  private postgres?: ProvisionedDatabase;
  private pgPort = 0;
  private temporalPort = 0;
  private stopping = false;
  private readonly crashRestartsPending = new Set<Promise<void>>();

  constructor(
    private readonly scratch: string,
    private readonly timeline: Timeline,
    private readonly webhookAllow: string,
  ) {}

  private get pgDataDir(): string {
    return path.join(this.scratch, 'pg', 'data');
  }

  private get temporalDbFile(): string {
    return path.join(this.scratch, 'temporal.sqlite');
  }

  async start(): Promise<void> {
    mkdirSync(path.join(this.scratch, 'logs'), { recursive: true });
    mkdirSync(path.join(this.scratch, 'pg'), { recursive: true });
    // As root, PostgreSQL runs as the `postgres` user, which must be able to enter the scratch dir.
    chmodSync(this.scratch, 0o755);
    chmodSync(path.join(this.scratch, 'pg'), 0o755);
    const cliPath = await resolveTemporalCli();
    [this.pgPort, this.temporalPort] = [await freePort(), await freePort()];
    const bundle = path.join(this.scratch, 'workflows.js');
    await Promise.all([
      this.startTemporal(cliPath),
      this.startPostgres(),
      promisify(execFile)(process.execPath, [heraBin, 'bundle', bundle], { cwd: repoRoot }),
    ]);
    this.timeline.event(`temporal on 127.0.0.1:${this.temporalPort} (file ${this.temporalDbFile}), postgres on 127.0.0.1:${this.pgPort}`);
    await migrate(this.ownerUrl);
    const appUrl = localAppUrl(this.ownerUrl);
    await provisionAppRole(this.ownerUrl, appUrl);

    const apiPort = await freePort();
    this.apiUrl = `http://127.0.0.1:${apiPort}`;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: this.ownerUrl,
      HERA_APP_DATABASE_URL: appUrl,
      TEMPORAL_ADDRESS: `127.0.0.1:${this.temporalPort}`,
      HERA_JWT_SECRET: this.jwtSecret,
      HERA_WEBHOOK_ALLOW: this.webhookAllow,
      // The sweep runs every 10 s during the run, so late timers and its schedule live through the faults too.
      HERA_SWEEP_SCHEDULE: 'on',
      HERA_SWEEP_INTERVAL: '10s',
      HERA_TIMER_GRACE: '5s',
      HERA_RATE_LIMIT_RPS: '0',
      HERA_WORKFLOW_BUNDLE: bundle,
      HERA_HOME: path.join(this.scratch, 'hera-home'),
      LOG_LEVEL: 'info',
    };
    const supervise = (name: string, command: 'api' | 'worker', extra: NodeJS.ProcessEnv, readyLine: string) =>
      new Supervised(
        { name, command: process.execPath, args: [heraBin, command], cwd: repoRoot, env: { ...env, ...extra }, readyLine, readyTimeoutMs: 90_000 },
        this.scratch,
        this.timeline,
        this.exits,
        (crashed) => this.restartAfterCrash(crashed),
      );
    this.api = supervise('api', 'api', { PORT: String(apiPort), HOST: '127.0.0.1' }, 'api listening');
    this.workers = [supervise('worker-1', 'worker', {}, 'worker running'), supervise('worker-2', 'worker', {}, 'worker running')];
    await Promise.all([this.api.start(), ...this.workers.map((w) => w.start())]);
    this.timeline.event(`api on ${this.apiUrl}, pids api=${this.api.pid} workers=${this.workers.map((w) => w.pid).join(',')}`);
  }

  private async startTemporal(cliPath?: string): Promise<void> {
    cliPath ??= await resolveTemporalCli();
    this.temporal = await startDevServer({ cliPath, port: this.temporalPort, dbFile: this.temporalDbFile });
    const child = this.temporal.process;
    child.once('exit', (code, signal) => {
      const expected = this.stopping || this.temporal?.process !== child || this.temporalStopping;
      this.exits.push({ name: 'temporal', pid: child.pid!, code, signal, expected, at: new Date().toISOString() });
      if (!expected) this.timeline.event(`CRASH temporal (pid ${child.pid}) exited code=${code} signal=${signal}`);
    });
  }

  private temporalStopping = false;

  private async startPostgres(): Promise<void> {
    this.postgres = await startEmbeddedPostgres({ dataDir: this.pgDataDir, port: this.pgPort, database: 'hera_chaos' });
    this.ownerUrl = this.postgres.url;
  }

  /** A crashed process is restarted after a second, as a supervisor (systemd, Kubernetes) would; bounded per process. */
  private restartAfterCrash(crashed: Supervised): void {
    if (this.stopping) return;
    const count = (this.crashRestarts[crashed.name] ?? 0) + 1;
    this.crashRestarts[crashed.name] = count;
    if (count > maxCrashRestarts) {
      this.timeline.event(`${crashed.name} crashed ${count} times: left down`);
      return;
    }
    const pending = (async () => {
      await new Promise((r) => setTimeout(r, 1000));
      if (this.stopping) return;
      await crashed.start().then(
        () => this.timeline.event(`${crashed.name} restarted after its crash (pid ${crashed.pid})`),
        (error: unknown) => this.timeline.event(`${crashed.name} restart after crash failed: ${String(error)}`),
      );
    })();
    this.crashRestartsPending.add(pending);
    void pending.finally(() => this.crashRestartsPending.delete(pending));
  }

  /** SIGKILLs a process group and starts it again (waiting until it is ready). */
  async killAndRestart(target: Supervised, pause = 0): Promise<void> {
    const pid = target.pid;
    await target.kill('SIGKILL');
    this.timeline.event(`SIGKILL ${target.name} (pgid ${pid})`);
    if (pause) await new Promise((r) => setTimeout(r, pause));
    this.restarts[target.name] = (this.restarts[target.name] ?? 0) + 1;
    const started = Date.now();
    try {
      await target.start();
      this.timeline.event(`${target.name} back (pid ${target.pid}) after ${Date.now() - started} ms`);
    } catch (error) {
      this.timeline.event(`${target.name} did not come back: ${String(error)}`);
    }
  }

  async stopPostgres(): Promise<void> {
    await this.postgres?.stop();
    this.postgres = undefined;
  }

  async startPostgresAgain(): Promise<void> {
    await this.startPostgres();
    this.restarts.postgres = (this.restarts.postgres ?? 0) + 1;
  }

  async stopTemporal(): Promise<void> {
    this.temporalStopping = true;
    await this.temporal?.stop();
  }

  async startTemporalAgain(): Promise<void> {
    await this.startTemporal();
    this.temporalStopping = false;
    this.restarts.temporal = (this.restarts.temporal ?? 0) + 1;
  }

  /** Stops everything it started: the API and workers (SIGTERM, then SIGKILL), Temporal, PostgreSQL. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.crashRestartsPending]);
    await Promise.allSettled([this.api, ...this.workers].filter(Boolean).map((p) => p.kill('SIGTERM')));
    await this.temporal?.stop().catch(() => undefined);
    await this.postgres?.stop().catch(() => undefined);
  }
}
