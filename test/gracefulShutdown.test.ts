import net from 'node:net';
import pg from 'pg';
import { freePort } from '../src/net';
import { eventually } from './support/eventually';
import { startHarness, type Harness, type Member } from './support/harness';
import { childWorker, pollersOn } from './support/worker';
import { heraProcess } from './support/heraProcess';

let h: Harness;
let member: Member;
let owner: pg.Client;

beforeAll(async () => {
  h = await startHarness();
  member = await h.member((await h.organization()).id, ['admin', 'user', 'employee']);
  owner = new pg.Client({ connectionString: h.env.databaseUrl });
  await owner.connect();
});
afterAll(async () => {
  await owner.end();
  await h.close();
});

/** `hera <command>` as a child process against this run's servers; `exit` resolves with its code and when. */
const hera = (command: 'api' | 'worker', env: Record<string, string>) => heraProcess(command, { DATABASE_URL: h.env.databaseUrl, ...env });

/** Holds the instance's row, so a transition's transaction waits in its activity until `release`. */
async function holdInstance(instanceId: string) {
  await owner.query('begin');
  await owner.query('select 1 from universal_transactions where id = $1 for update', [instanceId]);
  return { release: () => owner.query('rollback') };
}

const transitionWaits = () =>
  eventually(async () => {
    const { rows } = await owner.query("select 1 from pg_stat_activity where wait_event_type = 'Lock' and usename <> current_user");
    expect(rows).toHaveLength(1);
  });

/** A fresh connection to `port`: resolves once connected, rejects when refused. */
const connectTo = (port: number) =>
  new Promise<void>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });

async function apiProcess(shutdownTimeout: string) {
  const port = await freePort();
  const api = hera('api', { PORT: String(port), HOST: '127.0.0.1', HERA_SHUTDOWN_TIMEOUT: shutdownTimeout });
  const url = `http://127.0.0.1:${port}`;
  await eventually(async () => expect((await fetch(`${url}/healthz`)).status).toBe(200), 60_000, 200);
  const post = (route: string, body: unknown) =>
    fetch(`${url}${route}`, { method: 'POST', headers: { authorization: `Bearer ${member.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const started = await post('/api/v1/workflows', { definition_code: 'LEAVE_APPROVAL', context: { days: 1 } });
  expect(started.status).toBe(201);
  return { api, port, post, instanceId: ((await started.json()) as { instance_id: string }).instance_id };
}

test('SIGTERM drains hera api: the request in flight is answered, new connections are refused, the process exits 0', async () => {
  const { api, port, post, instanceId } = await apiProcess('20s');
  try {
    const held = await holdInstance(instanceId);
    const advance = post(`/api/v1/workflows/${instanceId}/advance`, { to_state: 'SUBMITTED' });
    await transitionWaits();
    const termAt = Date.now();
    api.signal('SIGTERM');
    await eventually(() => expect(connectTo(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' }));
    await held.release();
    const answer = await advance;
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ instance_id: instanceId, to_state: 'SUBMITTED' });
    const { code, at } = await api.exit;
    expect(code).toBe(0);
    expect(at - termAt).toBeLessThan(20_000);
  } finally {
    await owner.query('rollback');
    await api.kill();
  }
}, 120_000);

test('hera api still draining at HERA_SHUTDOWN_TIMEOUT exits anyway, non-zero', async () => {
  const { api, post, instanceId } = await apiProcess('2s');
  try {
    const held = await holdInstance(instanceId);
    const advance = post(`/api/v1/workflows/${instanceId}/advance`, { to_state: 'SUBMITTED' }).catch((error: Error) => error);
    await transitionWaits();
    const termAt = Date.now();
    api.signal('SIGTERM');
    const { code, at } = await api.exit;
    expect(code).toBe(1);
    expect(at - termAt).toBeGreaterThanOrEqual(2_000);
    expect(at - termAt).toBeLessThan(10_000);
    expect(api.output()).toContain('shutdown did not finish within 2000 ms (still stopping: api)');
    expect(String(await advance)).toMatch(/fetch failed/);
    await held.release();
  } finally {
    await owner.query('rollback');
    await api.kill();
  }
}, 120_000);

/** A worker process on a task queue of its own, an API sending there, and an instance started through it. */
async function workerProcess(shutdownTimeout: string) {
  const taskQueue = `drain-${Date.now()}`;
  const worker = hera('worker', { HERA_TASK_QUEUE: taskQueue, HERA_SHUTDOWN_TIMEOUT: shutdownTimeout });
  await eventually(async () => expect(worker.output()).toContain('worker running'), 60_000, 200);
  await pollersOn(h.system.services.temporal, taskQueue);
  const api = await h.apiWith({ HERA_TASK_QUEUE: taskQueue, HERA_COMMAND_TIMEOUT_MS: '60000' });
  const started = await api.call(member, '/api/v1/workflows', { definition_code: 'LEAVE_APPROVAL', context: { days: 1 } });
  expect(started.status).toBe(201);
  return { taskQueue, worker, api, instanceId: started.body.instance_id as string };
}

const stateOf = (instanceId: string) =>
  h.system.services.db.withOrg(member.organizationId, async (sql) =>
    (await sql.query('select current_state from wf_instances_view where instance_id = $1', [instanceId])).rows[0]?.current_state,
  );

test('SIGTERM drains hera worker: the activity in flight finishes and commits, then the process exits 0', async () => {
  const { taskQueue, worker, api, instanceId } = await workerProcess('20s');
  const successor = childWorker(h.env.databaseUrl, taskQueue);
  try {
    const held = await holdInstance(instanceId);
    const advance = api.call(member, `/api/v1/workflows/${instanceId}/advance`, { to_state: 'SUBMITTED' });
    await transitionWaits();
    const termAt = Date.now();
    worker.signal('SIGTERM');
    await eventually(async () => expect(worker.output()).toContain('worker draining'));
    await held.release();
    const { code, at } = await worker.exit;
    expect(code).toBe(0);
    expect(at - termAt).toBeLessThan(20_000);
    expect(await stateOf(instanceId)).toBe('SUBMITTED');
    // The next worker carries the command on: the client gets its answer.
    await successor.running;
    const answer = await advance;
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ instance_id: instanceId, to_state: 'SUBMITTED' });
  } finally {
    await owner.query('rollback');
    await worker.kill();
    await successor.kill();
    await api.close();
  }
}, 120_000);

test('hera worker whose activity outlasts HERA_SHUTDOWN_TIMEOUT exits anyway, non-zero; the next worker carries the command on', async () => {
  const { taskQueue, worker, api, instanceId } = await workerProcess('2s');
  const successor = childWorker(h.env.databaseUrl, taskQueue);
  try {
    const held = await holdInstance(instanceId);
    const advance = api.call(member, `/api/v1/workflows/${instanceId}/advance`, { to_state: 'SUBMITTED' });
    await transitionWaits();
    const termAt = Date.now();
    worker.signal('SIGTERM');
    const { code, at } = await worker.exit;
    expect(code).toBe(1);
    expect(at - termAt).toBeGreaterThanOrEqual(2_000);
    expect(at - termAt).toBeLessThan(10_000);
    expect(worker.output()).toContain('shutdown did not finish within 2000 ms');
    await held.release();
    await successor.running;
    const answer = await advance;
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ instance_id: instanceId, to_state: 'SUBMITTED' });
  } finally {
    await owner.query('rollback');
    await worker.kill();
    await successor.kill();
    await api.close();
  }
}, 120_000);
