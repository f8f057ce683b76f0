import { execFile, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection, ScheduleOverlapPolicy } from '@temporalio/client';
import { decodeJwt } from 'jose';
import { freePort } from '../src/net';
import { eventually } from './support/eventually';
import { startHarness, type Harness } from './support/harness';

const hera = path.resolve(__dirname, '../bin/hera.js');
const run = promisify(execFile);

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

/** The environment of a fresh shell: nothing the test run itself set up but its prebuilt workflow bundle. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const name of ['DATABASE_URL', 'HERA_APP_DATABASE_URL', 'TEMPORAL_ADDRESS', 'HERA_TASK_QUEUE', 'HERA_JWT_SECRET', 'HERA_TEST_DATABASE_URL', 'HERA_SWEEP_SCHEDULE', 'HERA_TIMER_GRACE']) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

describe('hera org create / token', () => {
  test('org create prints one JSON line and is idempotent by code; token prints a JWT the API accepts', async () => {
    const env = cleanEnv({ DATABASE_URL: h.env.databaseUrl, HERA_JWT_SECRET: h.env.jwtSecret, LOG_LEVEL: 'silent' });
    const code = `cli-${Date.now()}`;
    const first = await run(process.execPath, [hera, 'org', 'create', '--code', code, '--name', 'CLI Org'], { env });
    const org = JSON.parse(first.stdout);
    expect(first.stdout.trim().split('\n')).toHaveLength(1);
    expect(org).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), code, name: 'CLI Org' });
    const again = await run(process.execPath, [hera, 'org', 'create', '--code', code, '--name', 'Other name'], { env });
    expect(JSON.parse(again.stdout)).toEqual(org);

    const user = '6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b';
    const token = await run(process.execPath, [hera, 'token', '--org', org.id, '--user', user, '--roles', 'admin,user'], { env });
    expect(token.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(decodeJwt(token.stdout.trim()).exp).toBeGreaterThan(Date.now() / 1000);
    const res = await h.request('GET', '/api/v1/workflows', { token: token.stdout.trim() });
    expect(res.status).toBe(200);

    await expect(run(process.execPath, [hera, 'token', '--org', 'not-a-uuid', '--user', user], { env })).rejects.toMatchObject({
      stderr: expect.stringContaining('expected a uuid'),
    });
  });
});

describe('hera api refuses to start without its token keys', () => {
  const runApi = async (extra: Record<string, string>) =>
    run(process.execPath, [hera, 'api'], {
      env: cleanEnv({
        DATABASE_URL: h.env.databaseUrl,
        HERA_APP_DATABASE_URL: h.env.appDatabaseUrl,
        TEMPORAL_ADDRESS: h.env.temporalAddress,
        PORT: String(await freePort()),
        LOG_LEVEL: 'silent',
        ...extra,
      }),
      timeout: 60_000,
    });

  test('neither HERA_JWT_SECRET nor HERA_JWKS_URL: exits 1 naming both', async () => {
    await expect(runApi({})).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('no token keys: set HERA_JWT_SECRET (HS256) or HERA_JWKS_URL') });
  });

  test('HERA_JWKS_URL without issuer and audience: exits 1 naming them', async () => {
    await expect(runApi({ HERA_JWKS_URL: 'http://127.0.0.1:9/jwks.json' })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/HERA_JWT_ISSUER: required when HERA_JWKS_URL is set; HERA_JWT_AUDIENCE: required/),
    });
  });
});

describe('hera api and hera worker connect as the runtime’s own login role or refuse to start', () => {
  const runtime = (command: 'api' | 'worker', extra: Record<string, string>) =>
    run(process.execPath, [hera, command], {
      env: cleanEnv({ DATABASE_URL: h.env.databaseUrl, HERA_JWT_SECRET: h.env.jwtSecret, TEMPORAL_ADDRESS: h.env.temporalAddress, PORT: '0', LOG_LEVEL: 'silent', ...extra }),
      timeout: 60_000,
    });

  test.each(['api', 'worker'] as const)('hera %s without HERA_APP_DATABASE_URL exits 1 naming it (DATABASE_URL, the owner, only migrates)', async (command) => {
    await expect(runtime(command, {})).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining(`hera ${command} needs HERA_APP_DATABASE_URL`) });
  });

  test('hera worker given a superuser as HERA_APP_DATABASE_URL exits 1 naming the problem', async () => {
    await expect(runtime('worker', { HERA_APP_DATABASE_URL: h.env.databaseUrl })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('refusing to serve as database role postgres (SUPERUSER, BYPASSRLS)'),
    });
  });
});

async function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

interface DevRun {
  info: { api: string; temporal_ui: string; temporal_address: string; organization_id: string; admin_token: string };
  /** stdout and stderr up to the summary, and stdout alone. */
  output: string;
  stdout: string;
  stop(): Promise<number | null>;
}

/**
 * Runs `hera dev` in `home` on the given ports until it prints its summary. It bundles the workflow code from
 * source, as on a developer's machine, so what the bundler prints shows.
 */
async function startDev(home: string, ports: Record<'api' | 'temporal' | 'ui' | 'pg', number>, extra: Record<string, string> = {}): Promise<DevRun> {
  const env = cleanEnv({ HERA_HOME: home, HERA_EMBEDDED_PG_PORT: String(ports.pg), ...extra });
  for (const name of ['HERA_WORKFLOW_BUNDLE', 'LOG_LEVEL']) if (!(name in extra)) delete env[name];
  const child = spawn(
    process.execPath,
    [hera, 'dev', '--port', String(ports.api), '--temporal-port', String(ports.temporal), '--ui-port', String(ports.ui)],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let output = '';
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hera dev did not start:\n${output}`)), 150_000);
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Admin token')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.once('exit', (code) => reject(new Error(`hera dev exited with ${code}:\n${output}`)));
  });
  // What it says while stopping, so a failed stop shows why.
  let tail = '';
  const keep = (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return {
    info: JSON.parse(readFileSync(path.join(home, 'dev.json'), 'utf8')),
    output,
    stdout,
    stop: async () => {
      child.kill('SIGINT');
      const code = await exited;
      if (code !== 0) process.stderr.write(`hera dev exited with ${code}; its last output:\n${tail}\n`);
      return code;
    },
  };
}

/** Runs `expectations`; if one fails, stops `dev` before passing the failure on. */
async function expectWhileRunning(dev: DevRun, expectations: () => Promise<void>): Promise<void> {
  try {
    await expectations();
  } catch (failure) {
    await dev.stop();
    throw failure;
  }
}

describe('hera dev', () => {
  test('serves the API and the Temporal UI, prints only its summary and working examples (the bundler with LOG_LEVEL=debug), lists the demo instance, stops cleanly on Ctrl-C and reuses its data', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'hera-dev-'));
    chmodSync(home, 0o755);
    const ports = { api: await freePort(), temporal: await freePort(), ui: await freePort(), pg: await freePort() };

    const first = await startDev(home, ports);
    expect(first.info.api).toBe(`http://127.0.0.1:${ports.api}`);
    // What a person reads: the summary first and nothing before it (no bundler report), its URLs and token.
    // A failed expectation stops it, so no server outlives the test.
    await expectWhileRunning(first, async () => {
      expect(first.output).not.toMatch(/webpack|asset workflow-bundle|Workflow bundle created/);
      expect(first.output.startsWith('HERA Workflow Ops is running')).toBe(true);
      for (const line of [`API          ${first.info.api}`, `Temporal UI  ${first.info.temporal_ui}`, `Admin token  ${first.info.admin_token}`]) {
        expect(first.stdout).toContain(line);
      }
      // One line per example, each working as printed.
      const lines = first.stdout.split('\n');
      const [exportToken, listAll, listPaused, uiPaused, docs] = lines.slice(lines.indexOf('Try') + 1).filter(Boolean).map((l) => l.trim());
      expect(exportToken).toMatch(/^export HERA_TOKEN=/);
      const shell = async (command: string) => JSON.parse((await run('sh', ['-c', `${exportToken}\n${command}`], { env: cleanEnv({}) })).stdout);
      expect((await shell(listAll)).instances).toEqual([expect.objectContaining({ definition_code: 'LEAVE_APPROVAL' })]);
      expect(await shell(listPaused)).toMatchObject({ instances: [] });
      const url = (line: string) => line.replace(/\s+#.*$/, '');
      expect(url(uiPaused)).toBe(`${first.info.temporal_ui}/namespaces/default/workflows?query=HeraPaused%20%3D%20true`);
      for (const page of [uiPaused, docs]) expect({ page, status: (await fetch(url(page))).status }).toEqual({ page, status: 200 });
      // The dashboard it names links into its own Temporal UI.
      expect(first.stdout).toContain(`Dashboard    ${first.info.api}/dashboard`);
      const dashboard = await fetch(`${first.info.api}/dashboard/config.json`, { headers: { authorization: `Bearer ${first.info.admin_token}` } });
      expect(await dashboard.json()).toMatchObject({ organization_id: first.info.organization_id, temporal_ui_url: first.info.temporal_ui });
    });
    // The API (its demo admin token printed) listens on loopback only: not on this machine's other addresses.
    const external = Object.values(os.networkInterfaces()).flat().filter((a) => a && a.family === 'IPv4' && !a.internal).map((a) => a!.address);
    expect(external.length).toBeGreaterThan(0);
    const exposed: string[] = [];
    for (const address of external) if (await portOpen(ports.api, address)) exposed.push(address);
    if (exposed.length) await first.stop(); // so the failure below leaves nothing running
    expect(exposed).toEqual([]);
    const list = async (info: DevRun['info']) => {
      const res = await fetch(`${info.api}/api/v1/workflows`, { headers: { authorization: `Bearer ${info.admin_token}` } });
      expect(res.status).toBe(200);
      return ((await res.json()) as { instances: Array<{ instance_id: string; definition_code: string }> }).instances;
    };
    const demo = await list(first.info);
    expect(demo).toEqual([expect.objectContaining({ definition_code: 'LEAVE_APPROVAL' })]);
    expect((await fetch(first.info.temporal_ui)).status).toBe(200);
    // The sweep's schedule exists (every 5 minutes, overlap SKIP) and already shows a finished run.
    const client = new Client({ connection: await Connection.connect({ address: first.info.temporal_address }) });
    try {
      const schedule = client.schedule.getHandle('hera-wf-sweep');
      const described = await eventually(async () => {
        const d = await schedule.describe();
        expect(d.info.recentActions.length).toBeGreaterThanOrEqual(1);
        return d;
      });
      expect(described.spec.intervals).toMatchObject([{ every: 300_000 }]);
      expect(described.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
      const { workflowId, firstExecutionRunId } = described.info.recentActions[0].action.workflow;
      expect(await client.workflow.getHandle(workflowId, firstExecutionRunId).result()).toMatchObject({ trigger: 'schedule', errors: 0 });
      const health = await fetch(`${first.info.api}/api/v1/scheduler/health`, { headers: { authorization: `Bearer ${first.info.admin_token}` } });
      expect(await health.json()).toMatchObject({ healthy: true, interval_seconds: 300 });
    } finally {
      await client.connection.close();
    }

    expect(await first.stop()).toBe(0);
    for (const port of Object.values(ports)) expect({ port, open: await portOpen(port) }).toEqual({ port, open: false });

    // LOG_LEVEL=debug shows the bundler's report again.
    const second = await startDev(home, ports, { LOG_LEVEL: 'debug' });
    try {
      expect(second.output).toMatch(/asset workflow-bundle/);
      expect(second.output).toMatch(/Workflow bundle created/);
      expect(second.info.organization_id).toBe(first.info.organization_id);
      expect(await list(second.info)).toEqual(demo);
      // The Temporal side survived the restart too: the demo workflow is still running.
      const connection = await Connection.connect({ address: second.info.temporal_address });
      try {
        const { executions } = await connection.workflowService.listWorkflowExecutions({
          namespace: 'default',
          query: `HeraDefinitionCode = "LEAVE_APPROVAL" AND ExecutionStatus = "Running"`,
        });
        expect(executions).toHaveLength(1);
      } finally {
        await connection.close();
      }
    } finally {
      expect(await second.stop()).toBe(0);
    }
  }, 300_000);
});
