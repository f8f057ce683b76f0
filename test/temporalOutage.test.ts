import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../src/net';
import { startDevServer, type DevServer } from '../src/temporal/devServer';
import { eventually } from './support/eventually';
import { startHarness, type Harness, type Member } from './support/harness';
import { heraProcess } from './support/heraProcess';

let h: Harness;
let member: Member;

beforeAll(async () => {
  h = await startHarness();
  member = await h.member((await h.organization()).id, ['user']);
});
afterAll(() => h.close());

/** `hera <command>` as a child process against `temporalAddress` and this run's database. */
const hera = (command: 'api' | 'worker', env: Record<string, string>) => heraProcess(command, { DATABASE_URL: h.env.databaseUrl, ...env });

test('hera worker and hera api stay up while the Temporal server is stopped (or wait, when started meanwhile), and work again once it is back', async () => {
  // A Temporal server of this test's own, on a file so its workflows outlive the restart.
  const port = await freePort();
  const dbFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'hera-outage-temporal-')), 'temporal.db');
  const serve = () => startDevServer({ cliPath: process.env.TEMPORAL_CLI!, port, dbFile });
  let temporal: DevServer | undefined = await serve();
  const apiPort = await freePort();
  const env = { TEMPORAL_ADDRESS: temporal.address, HERA_TASK_QUEUE: `temporal-outage-${Date.now()}`, HERA_COMMAND_TIMEOUT_MS: '5000' };
  const worker = hera('worker', env);
  const api = hera('api', { ...env, PORT: String(apiPort), HOST: '127.0.0.1' });
  const start = async () => {
    const res = await fetch(`http://127.0.0.1:${apiPort}/api/v1/workflows`, {
      method: 'POST',
      headers: { authorization: `Bearer ${member.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ definition_code: 'LEAVE_APPROVAL' }),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const late: Array<ReturnType<typeof hera>> = [];
  try {
    await eventually(async () => expect(worker.output()).toContain('worker running'), 60_000, 200);
    await eventually(async () => expect((await start()).status).toBe(201), 60_000, 500);

    await temporal.stop();
    temporal = undefined;
    // While it is away a command is a 503 the client can retry, and neither process gives up.
    expect(await start()).toMatchObject({ status: 503, body: { error: { code: 'SERVICE_UNAVAILABLE' } } });
    // Processes (re)started during the outage wait for Temporal instead of exiting.
    const lateWorker = hera('worker', env);
    const lateApiPort = await freePort();
    const lateApi = hera('api', { ...env, PORT: String(lateApiPort), HOST: '127.0.0.1' });
    late.push(lateWorker, lateApi);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    expect(worker.alive()).toBe(true);
    expect(api.alive()).toBe(true);
    // The first attempt ends at the client's connect timeout (10 s).
    await eventually(async () => {
      expect(lateWorker.output()).toContain('worker waiting for a dependency');
      expect(lateApi.output()).toContain('api waiting for a dependency');
    }, 30_000, 200);
    expect(lateWorker.alive()).toBe(true);
    expect(lateApi.alive()).toBe(true);

    temporal = await serve();
    await eventually(async () => expect(lateWorker.output()).toContain('worker running'), 60_000, 200);
    await eventually(async () => expect((await fetch(`http://127.0.0.1:${lateApiPort}/healthz`)).status).toBe(200), 60_000, 200);
    await eventually(async () => expect((await start()).status).toBe(201), 90_000, 1_000);
    expect(worker.alive()).toBe(true);
    expect(api.alive()).toBe(true);
  } finally {
    for (const process of [api, worker, ...late]) await process.kill();
    await temporal?.stop();
  }
}, 240_000);
