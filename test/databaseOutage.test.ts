import { chmodSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { signToken } from '../src/auth/jwt';
import { localAppUrl, provisionAppRole } from '../src/db/appRole';
import { migrate } from '../src/db/migrate';
import { systemActorId } from '../src/db/queries/codes';
import { ensureOrganization } from '../src/db/queries/organizations';
import { freePort } from '../src/net';
import { testEnvironment } from './support/env';
import { eventually } from './support/eventually';
import { postgresProcess, type PostgresProcess } from './support/postgresProcess';
import { heraProcess } from './support/heraProcess';

/** A PostgreSQL of this file's own, which it stops and starts again on its data directory. */
const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'hera-outage-pg-')), 'data');
let port: number;
let database: PostgresProcess;
const startDatabase = async () => {
  database = await postgresProcess(dataDir, port, 'hera_outage');
};

/** `hera <command>` as a child process against that database and this run's Temporal server. */
const hera = heraProcess;

beforeAll(async () => {
  chmodSync(path.dirname(dataDir), 0o755);
  port = await freePort();
  await startDatabase();
  await migrate(database.url);
}, 120_000);
afterAll(() => database?.stop());

test('hera api answers a quick 503 while PostgreSQL is stopped, hera api and hera worker stay up (or wait, when started meanwhile), and recover when it is back', async () => {
  const appUrl = localAppUrl(database.url);
  await provisionAppRole(database.url, appUrl);
  const owner = new pg.Pool({ connectionString: database.url, max: 1 });
  const org = await ensureOrganization(owner, 'outage', 'Outage organization', systemActorId).finally(() => owner.end());
  const { jwtSecret } = testEnvironment();
  const token = await signToken(jwtSecret, { sub: '00000000-0000-4000-8000-000000000001', org: org.id, roles: ['user', 'employee'] });
  const apiPort = await freePort();
  const env = { DATABASE_URL: database.url, HERA_APP_DATABASE_URL: appUrl, HERA_TASK_QUEUE: `outage-${Date.now()}`, HERA_COMMAND_TIMEOUT_MS: '10000' };
  const worker = hera('worker', env);
  const api = hera('api', { ...env, PORT: String(apiPort), HOST: '127.0.0.1' });
  const url = `http://127.0.0.1:${apiPort}`;
  const call = async (method: string, route: string, body?: unknown) => {
    const sentAt = Date.now();
    const res = await fetch(`${url}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any, ms: Date.now() - sentAt };
  };
  const start = () => call('POST', '/api/v1/workflows', { definition_code: 'LEAVE_APPROVAL', context: { days: 1 } });
  const late: Array<ReturnType<typeof hera>> = [];
  try {
    await eventually(async () => expect(worker.output()).toContain('worker running'), 60_000, 200);
    await eventually(async () => expect((await fetch(`${url}/healthz`)).status).toBe(200), 60_000, 200);
    const before = await eventually(async () => {
      const res = await start();
      expect(res.status).toBe(201);
      return res.body;
    }, 30_000, 500);
    // The API's pool holds idle connections from the requests so far: the stop breaks them under it.
    expect((await call('GET', `/api/v1/workflows/${before.instance_id}`)).status).toBe(200);

    await database.stop();
    // Processes (re)started during the outage wait for the database instead of exiting.
    const lateWorker = hera('worker', env);
    const lateApiPort = await freePort();
    const lateApi = hera('api', { ...env, PORT: String(lateApiPort), HOST: '127.0.0.1' });
    late.push(lateWorker, lateApi);
    const outage: Array<{ route: string; status: number; code?: string; ms: number }> = [];
    const outageEnds = Date.now() + 5_000;
    while (Date.now() < outageEnds) {
      for (const [method, route, body] of [
        ['GET', `/api/v1/workflows/${before.instance_id}`],
        ['POST', '/api/v1/workflows', { definition_code: 'LEAVE_APPROVAL' }],
        ['POST', `/api/v1/workflows/${before.instance_id}/advance`, { to_state: 'SUBMITTED' }],
      ] as const) {
        const res = await call(method, route, body);
        outage.push({ route: `${method} ${route.replace(before.instance_id, ':id')}`, status: res.status, code: res.body.error?.code, ms: res.ms });
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    // Every answer a 503 the client can retry, each within the connect timeout (not a hang, never a 500).
    expect(outage.filter((o) => o.status !== 503)).toEqual([]);
    expect(outage.filter((o) => o.ms > 5_500)).toEqual([]);
    expect(worker.alive()).toBe(true);
    expect(api.alive()).toBe(true);
    await eventually(async () => {
      expect(lateWorker.output()).toContain('worker waiting for a dependency');
      expect(lateApi.output()).toContain('api waiting for a dependency');
    }, 30_000, 200);
    expect(lateWorker.alive()).toBe(true);
    expect(lateApi.alive()).toBe(true);

    await startDatabase();
    await eventually(async () => expect(lateWorker.output()).toContain('worker running'), 60_000, 200);
    await eventually(async () => expect((await fetch(`http://127.0.0.1:${lateApiPort}/healthz`)).status).toBe(200), 60_000, 200);
    const after = await eventually(async () => {
      const res = await start();
      expect(res.status).toBe(201);
      return res.body;
    }, 60_000, 500);
    const advanced = await eventually(async () => {
      const res = await call('POST', `/api/v1/workflows/${after.instance_id}/advance`, { to_state: 'SUBMITTED' });
      expect(res.status).toBe(200);
      return res.body;
    }, 60_000, 500);
    expect(advanced).toMatchObject({ from_state: 'DRAFT', to_state: 'SUBMITTED' });
    expect(worker.alive()).toBe(true);
    expect(api.alive()).toBe(true);
  } finally {
    for (const process of [api, worker, ...late]) await process.kill();
  }
}, 180_000);
