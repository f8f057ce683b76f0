import { spawn } from 'node:child_process';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import fc from 'fast-check';
import { loadContracts } from '../src/procedures/contracts';
import { eventually } from './support/eventually';
import { startHarness, type Harness, type Member } from './support/harness';

let h: Harness;
let admin: Member;

beforeAll(async () => {
  h = await startHarness();
  admin = await h.member((await h.organization()).id, ['admin', 'manager', 'system', 'user']);
});
afterAll(() => h.close());

test('every route answers malformed and hostile input with a 4xx JSON error, never a 5xx', async () => {
  const routes = loadContracts().flatMap((c) => c.routes);
  const segment = fc.oneof(fc.uuid(), fc.constantFrom('x', '..', '%00', "'; drop table x;--", 'ÿ'.repeat(300)));
  const body = fc.oneof(
    fc.jsonValue(),
    fc.dictionary(fc.constantFrom('to_state', 'definition_code', 'limit', 'cursor', 'organization_id', 'on_fire', 'name', 'roles', '__proto__', 'constructor'), fc.jsonValue()),
  );
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...routes), segment, body, async (route, param, payload) => {
      const url = route.path.replace(/:([a-z_]+)/g, () => encodeURIComponent(param));
      const res = route.method === 'GET'
        ? await h.request('GET', `${url}?limit=${encodeURIComponent(JSON.stringify(payload)).slice(0, 200)}`, { token: admin.token })
        : await h.request(route.method, url, { token: admin.token, rawBody: JSON.stringify(payload), headers: { 'content-type': 'application/json' } });
      const ok = res.status < 300;
      expect({ route: `${route.method} ${route.path}`, status: res.status, ok: ok || typeof res.body?.error?.code === 'string' }).toEqual({
        route: `${route.method} ${route.path}`,
        status: res.status < 500 ? res.status : 'no 5xx',
        ok: true,
      });
    }),
    { numRuns: 300 },
  );
}, 120_000);

test('two workers on one task queue: both poll it for workflow and activity tasks, and instances progress', async () => {
  const second = spawn(process.execPath, [path.resolve(__dirname, '../bin/hera.js'), 'worker'], {
    env: { ...process.env, DATABASE_URL: h.env.databaseUrl, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise((resolve) => second.once('exit', resolve));
  try {
    await new Promise<void>((resolve, reject) => {
      let output = '';
      second.stderr!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('worker running')) resolve();
      });
      second.once('exit', (code) => reject(new Error(`worker exited ${code}: ${output}`)));
    });
    // Which worker Temporal hands a task to is its choice; what is guaranteed is that both poll the queue, for
    // workflow and activity tasks alike. A worker's identity is `<pid>@<host>`.
    const { workflowService } = h.system.services.temporal.connection;
    const pollers = async (taskQueueType: temporal.api.enums.v1.TaskQueueType) =>
      (await workflowService.describeTaskQueue({ namespace: h.config.TEMPORAL_NAMESPACE, taskQueue: { name: h.env.taskQueue }, taskQueueType }))
        .pollers!.map((p) => p.identity!);
    const types = [temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY];
    await eventually(async () => {
      for (const identities of await Promise.all(types.map(pollers))) {
        expect(identities.some((identity) => identity.startsWith(`${second.pid}@`))).toBe(true);
        expect(new Set(identities).size).toBeGreaterThanOrEqual(2);
      }
    }, 10_000, 100);

    const ids = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const res = await h.request('POST', '/api/v1/workflows', { token: admin.token, body: { definition_code: 'TEST_ADMIN_WORKFLOW' } });
        expect(res.status).toBe(201);
        const advanced = await h.request('POST', `/api/v1/workflows/${res.body.instance_id}/advance`, { token: admin.token, body: { to_state: 'ACTIVE' } });
        expect(advanced.body).toMatchObject({ current_state: 'ACTIVE' });
        return res.body.instance_id as string;
      }),
    );
    // Each reached ACTIVE above, answered by whichever worker Temporal chose; the second still polls afterwards.
    expect(ids).toHaveLength(6);
    for (const taskQueueType of types) expect((await pollers(taskQueueType)).some((identity) => identity.startsWith(`${second.pid}@`))).toBe(true);
  } finally {
    second.kill('SIGTERM');
    await exited;
  }
}, 120_000);
