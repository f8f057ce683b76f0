import { uuidFromKey } from '../src/procedures/idempotency';
import { instanceWorkflowId } from '../src/temporal/ids';
import { eventually } from './support/eventually';
import { startHarness, type Harness, type Member } from './support/harness';
import { childWorker } from './support/worker';

let h: Harness;
let user: Member;
let admin: Member;

beforeAll(async () => {
  h = await startHarness();
  const org = (await h.organization()).id;
  user = await h.member(org, ['user']);
  admin = await h.member(org, ['admin', 'user']);
});
afterAll(() => h.close());

const query = (text: string, values: unknown[]) =>
  h.system.services.db.withOrg(user.organizationId, async (sql) => (await sql.query(text, values)).rows);

const apiWith = (env: Record<string, string>) => h.apiWith(env);
const worker = (taskQueue: string) => childWorker(h.env.databaseUrl, taskQueue);

test('twenty concurrent advances of one instance leave a consistent history without duplicate steps', async () => {
  const started = await h.request('POST', '/api/v1/workflows', { token: user.token, body: { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE' } });
  const id = started.body.instance_id;
  const targets = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 'ON_HOLD' : 'ACTIVE'));
  const results = await Promise.all(
    targets.map((to_state) => h.request('POST', `/api/v1/workflows/${id}/advance`, { token: admin.token, body: { to_state } })),
  );
  for (const r of results) expect([200, 400]).toContain(r.status);
  const succeeded = results.filter((r) => r.status === 200);
  expect(succeeded.length).toBeGreaterThan(0);
  const steps = await query('select line_number, from_state, to_state from wf_steps_view where instance_id = $1 order by line_number', [id]);
  expect(steps).toHaveLength(1 + succeeded.length);
  expect(steps.map((s) => s.line_number)).toEqual(steps.map((_, i) => i + 1));
  for (let i = 1; i < steps.length; i += 1) expect(steps[i].from_state).toBe(steps[i - 1].to_state);
  const [instance] = await query('select current_state from wf_instances_view where instance_id = $1', [id]);
  expect(instance.current_state).toBe(steps[steps.length - 1].to_state);
});

test('a long-lived instance continues as new, keeping its state, tasks, pinned version and timer deadlines', async () => {
  const api = await apiWith({ HERA_HISTORY_LIMIT: '40' });
  try {
    const started = await api.call(user, '/api/v1/workflows', { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE' });
    const id = started.body.instance_id;
    const timer = await api.call(admin, `/api/v1/workflows/${id}/timers`, {
      name: 'survivor',
      duration: 'PT6S',
      on_fire: { create_task: { title: 'After the roll-over', assignee_role: 'user' } },
    });
    expect(timer.status).toBe(200);
    const manager = await h.member(user.organizationId, ['manager', 'user']);
    const created: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      const task = await api.call(manager, `/api/v1/workflows/${id}/tasks`, { title: `Task ${i}`, assignee_role: 'user' });
      expect(task.status).toBe(201);
      created.push(task.body.task_id);
    }
    const workflowId = instanceWorkflowId(user.organizationId, id);
    const runs = async () =>
      (await h.system.services.temporal.connection.workflowService.listWorkflowExecutions({ namespace: 'default', query: `WorkflowId = "${workflowId}"` }))
        .executions;
    await eventually(async () => expect((await runs()).length).toBeGreaterThan(1));

    // Tasks made before the roll-over are still the instance's; the state and version carry over.
    expect((await api.call(user, `/api/v1/tasks/${created[0]}/claim`)).status).toBe(200);
    await eventually(async () => {
      const [fired] = await query(`select timer_status, fire_at, fired_at from wf_timers_view where instance_id = $1 and timer_name = 'survivor'`, [id]);
      expect(fired.timer_status).toBe('FIRED');
      expect(fired.fired_at.getTime() - fired.fire_at.getTime()).toBeLessThan(3000);
    }, 30_000);
    const rollOver = await query(`select count(*)::int as n from wf_tasks_view where instance_id = $1 and title = 'After the roll-over'`, [id]);
    expect(rollOver).toEqual([{ n: 1 }]);
    const done = await api.call(user, `/api/v1/workflows/${id}/advance`, { to_state: 'COMPLETED' });
    expect(done).toMatchObject({ status: 200, body: { from_state: 'ACTIVE', current_state: 'COMPLETED' } });
    const snapshot = await h.system.services.temporal.workflow.getHandle(workflowId).result();
    expect(snapshot).toMatchObject({ definition_version: 1, current_state: 'COMPLETED', status: 'completed' });
  } finally {
    await api.close();
  }
}, 90_000);

test('a timer that comes due while its worker is down fires once when a worker is back', async () => {
  const taskQueue = `late-${Date.now()}`;
  const api = await apiWith({ HERA_TASK_QUEUE: taskQueue });
  let first = worker(taskQueue);
  try {
    await first.running;
    const started = await api.call(user, '/api/v1/workflows', { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE' });
    const id = started.body.instance_id;
    const timer = await api.call(admin, `/api/v1/workflows/${id}/timers`, {
      name: 'while-down',
      duration: 'PT2S',
      on_fire: { create_task: { title: 'Fired after restart', assignee_role: 'user' } },
    });
    expect(timer.status).toBe(200);
    await first.kill();
    await new Promise((resolve) => setTimeout(resolve, 3500));
    const [pending] = await query(`select timer_status from wf_timers_view where timer_id = $1`, [timer.body.timer_id]);
    expect(pending.timer_status).toBe('PENDING');

    first = worker(taskQueue);
    await first.running;
    await eventually(async () => {
      const [fired] = await query(`select timer_status from wf_timers_view where timer_id = $1`, [timer.body.timer_id]);
      expect(fired.timer_status).toBe('FIRED');
    }, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const tasks = await query(`select count(*)::int as n from wf_tasks_view where instance_id = $1 and title = 'Fired after restart'`, [id]);
    expect(tasks).toEqual([{ n: 1 }]);
  } finally {
    await first.kill();
    await api.close();
  }
}, 120_000);

test('with no worker polling, a command answers 503 after its deadline; the retry with the same key succeeds', async () => {
  const taskQueue = `idle-${Date.now()}`;
  const api = await apiWith({ HERA_TASK_QUEUE: taskQueue, HERA_COMMAND_TIMEOUT_MS: '1500' });
  let late: ReturnType<typeof worker> | undefined;
  try {
    const body = { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE' };
    const send = () =>
      fetch(`${api.url}/api/v1/workflows`, {
        method: 'POST',
        headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json', 'idempotency-key': taskQueue },
        body: JSON.stringify(body),
      });
    const started = Date.now();
    const res = await send();
    expect(res.status).toBe(503);
    expect(((await res.json()) as any).error.code).toBe('SERVICE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(10_000);
    late = worker(taskQueue);
    await late.running;
    const retry = await send();
    expect(retry.status).toBe(201);
    expect(((await retry.json()) as any).instance_id).toBe(uuidFromKey(user.organizationId, 'START', taskQueue));
  } finally {
    await late?.kill();
    await api.close();
  }
}, 60_000);
