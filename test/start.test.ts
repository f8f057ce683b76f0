import { spawn } from 'node:child_process';
import path from 'node:path';
import { signToken } from '../src/auth/jwt';
import { freePort } from '../src/net';
import { uuidFromKey } from '../src/procedures/idempotency';
import { instanceWorkflowId } from '../src/temporal/ids';
import { eventually } from './support/eventually';
import { startHarness, type Harness, type Member } from './support/harness';
import { childWorker, pollersOn, type ChildWorker } from './support/worker';

let h: Harness;
let member: Member;

beforeAll(async () => {
  h = await startHarness();
  member = await h.member((await h.organization()).id, ['user']);
});
afterAll(() => h.close());

const startWith = (key: string, body: Record<string, unknown>) =>
  h.request('POST', '/api/v1/workflows', { token: member.token, body, headers: { 'Idempotency-Key': key } });

const rowsOf = (instanceId: string) =>
  h.system.services.db.withOrg(member.organizationId, async (sql) => (await sql.query('select instance_id from wf_instances_view where instance_id = $1', [instanceId])).rows);

test('a repeated START with one Idempotency-Key answers the first instance; another body under it is 409', async () => {
  const body = { definition_code: 'LEAVE_APPROVAL', context: { days: 2 } };
  const first = await startWith('start-key-1', body);
  const second = await startWith('start-key-1', body);
  expect(first.status).toBe(201);
  expect(second.status).toBe(201);
  expect(second.body).toEqual(first.body);
  expect(second.headers.get('idempotent-replayed')).toBe('true');
  expect(first.headers.get('idempotent-replayed')).toBeNull();
  const reused = await startWith('start-key-1', { ...body, context: { days: 3 } });
  expect(reused.status).toBe(409);
  expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
  expect(await rowsOf(first.body.instance_id)).toHaveLength(1);
});

test('the replay also holds after the instance has finished', async () => {
  const body = { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'COMPLETED' };
  const first = await startWith('start-key-done', body);
  expect(first.body).toMatchObject({ status: 'completed', current_state: 'COMPLETED' });
  const handle = h.system.services.temporal.workflow.getHandle(instanceWorkflowId(member.organizationId, first.body.instance_id));
  await eventually(async () => expect((await handle.describe()).status.name).toBe('COMPLETED'));
  const again = await startWith('start-key-done', body);
  expect(again.status).toBe(201);
  expect(again.body).toEqual(first.body);
  expect(again.headers.get('idempotent-replayed')).toBe('true');
  const other = await startWith('start-key-done', { definition_code: 'TEST_ADMIN_WORKFLOW' });
  expect(other.status).toBe(409);
});

const polled = (taskQueue: string) => pollersOn(h.system.services.temporal, taskQueue);

/** Runs `hera <command>` as a child process against this run's database and Temporal server. */
function hera(command: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [path.resolve(__dirname, '../bin/hera.js'), command], {
    env: { ...process.env, DATABASE_URL: h.env.databaseUrl, LOG_LEVEL: 'warn', ...env },
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

test('an API killed after starting the workflow and before the record exists leaves no orphan', async () => {
  // The API's task queue has no worker yet, so the workflow is started but cannot write its record.
  const taskQueue = `orphan-${Date.now()}`;
  const port = await freePort();
  const api = hera('api', { PORT: String(port), HERA_TASK_QUEUE: taskQueue });
  let worker: ChildWorker | undefined;
  try {
    await eventually(async () => expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200), 60_000, 200);
    const token = await signToken(h.env.jwtSecret, { sub: member.userId, org: member.organizationId, roles: member.roles });
    const key = `killed-${Date.now()}`;
    const body = { definition_code: 'LEAVE_APPROVAL', context: { days: 4 } };
    const pending = fetch(`http://127.0.0.1:${port}/api/v1/workflows`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
    }).catch((error: unknown) => error);
    const instanceId = uuidFromKey(member, 'START', key);
    const handle = h.system.services.temporal.workflow.getHandle(instanceWorkflowId(member.organizationId, instanceId));
    await eventually(async () => expect((await handle.describe()).status.name).toBe('RUNNING'), 30_000, 20);
    expect(await rowsOf(instanceId)).toEqual([]);
    await api.kill();
    expect(String(await pending)).toMatch(/fetch failed/);

    // A worker comes back for that queue; once it polls, the client retries with the same key.
    worker = childWorker(h.env.databaseUrl, taskQueue);
    await worker.running;
    await polled(taskQueue);
    const retry = await startWith(key, body);
    expect(retry.status).toBe(201);
    expect(retry.body.instance_id).toBe(instanceId);
    expect(await rowsOf(instanceId)).toHaveLength(1);
    const { executions } = await h.system.services.temporal.connection.workflowService.listWorkflowExecutions({
      namespace: 'default',
      query: `WorkflowId = "${instanceWorkflowId(member.organizationId, instanceId)}"`,
    });
    expect(executions).toHaveLength(1);
  } finally {
    await api.kill();
    await worker?.kill();
  }
}, 120_000);
