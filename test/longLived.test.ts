import { temporal } from '@temporalio/proto';
import { uuidFromKey } from '../src/procedures/idempotency';
import { instanceWorkflowId } from '../src/temporal/ids';
import { eventually, until } from './support/eventually';
import { startHarness, type Harness, type Member } from './support/harness';
import { childWorker, forgetStickyWorker, pollersOn } from './support/worker';

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
const handleOf = (instanceId: string) => h.system.services.temporal.workflow.getHandle(instanceWorkflowId(user.organizationId, instanceId));

const polled = (taskQueue: string) => pollersOn(h.system.services.temporal, taskQueue);

/** Resolves once the instance's workflow has nothing in flight: no workflow task, no activity. */
const idle = (instanceId: string) =>
  eventually(async () => {
    const { raw } = await handleOf(instanceId).describe();
    expect(raw.pendingWorkflowTask ?? null).toBeNull();
    expect(raw.pendingActivities ?? []).toEqual([]);
  }, 30_000);

test('twenty concurrent advances of one instance leave a consistent history without duplicate steps', async () => {
  const started = await h.request('POST', '/api/v1/workflows', { token: user.token, body: { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE' } });
  const id = started.body.instance_id;
  const targets = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 'ON_HOLD' : 'ACTIVE'));
  const results = await Promise.all(
    targets.map((to_state) => h.request('POST', `/api/v1/workflows/${id}/advance`, { token: admin.token, body: { to_state } })),
  );
  // Each one either moves the instance or is refused because it is already in the state asked for.
  results.forEach((r, i) => {
    if (r.status === 200) expect(r.body).toMatchObject({ current_state: targets[i] });
    else expect(r).toMatchObject({ status: 400, body: { error: { code: 'INVALID_TRANSITION', details: { from_state: targets[i], to_state: targets[i] } } } });
  });
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
    // The deadline set before the roll-over is kept exactly; the timer fires once, not before it, in a later run.
    const dueAt = Date.parse(timer.body.fire_at);
    const fired = await eventually(async () => {
      const [row] = await query(`select timer_status, fire_at, fired_at from wf_timers_view where instance_id = $1 and timer_name = 'survivor'`, [id]);
      expect(row.timer_status).toBe('FIRED');
      return row;
    }, dueAt - Date.now() + 30_000);
    expect(fired.fire_at.getTime()).toBe(dueAt);
    expect(fired.fired_at.getTime()).toBeGreaterThanOrEqual(dueAt);
    const [firstRun] = (await runs()).filter((run) => run.status === temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW);
    const firstRunClosed = (await h.system.services.temporal.workflow.getHandle(workflowId, firstRun.execution!.runId!).describe()).closeTime!;
    expect(fired.fired_at.getTime()).toBeGreaterThan(firstRunClosed.getTime());
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
      duration: 'PT3S',
      on_fire: { create_task: { title: 'Fired after restart', assignee_role: 'user' } },
    });
    expect(timer.status).toBe(200);
    await first.kill();
    // The worker is gone before the timer's due time, so no worker can have fired it.
    expect(Date.now()).toBeLessThan(Date.parse(timer.body.fire_at));
    await forgetStickyWorker(h.system.services.temporal, [handleOf(id).workflowId]);
    // It comes due while no worker polls its queue: wait past its deadline (the global worker polls another queue).
    await until(Date.parse(timer.body.fire_at) + 500);
    const [pending] = await query(`select timer_status from wf_timers_view where timer_id = $1`, [timer.body.timer_id]);
    expect(pending.timer_status).toBe('PENDING');

    first = worker(taskQueue);
    await first.running;
    await eventually(async () => {
      const [fired] = await query(`select timer_status from wf_timers_view where timer_id = $1`, [timer.body.timer_id]);
      expect(fired.timer_status).toBe('FIRED');
    }, 60_000);
    // Once the workflow has nothing left in flight, a second fire could only show as a second task.
    await idle(id);
    const tasks = await query(`select count(*)::int as n from wf_tasks_view where instance_id = $1 and title = 'Fired after restart'`, [id]);
    expect(tasks).toEqual([{ n: 1 }]);
  } finally {
    await first.kill();
    await api.close();
  }
}, 120_000);

test('with no worker polling, a command answers 503 after its deadline; the retry with the same key succeeds', async () => {
  const taskQueue = `idle-${Date.now()}`;
  const timeoutMs = 3000;
  const api = await apiWith({ HERA_TASK_QUEUE: taskQueue, HERA_COMMAND_TIMEOUT_MS: String(timeoutMs) });
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
    // Not before its deadline, and well before the 30 s default it overrides.
    expect(Date.now() - started).toBeGreaterThanOrEqual(timeoutMs);
    expect(Date.now() - started).toBeLessThan(30_000);
    const instanceId = uuidFromKey(user, 'START', taskQueue);
    expect(await query('select instance_id from wf_instances_view where instance_id = $1', [instanceId])).toEqual([]);

    // A worker comes: the workflow the first call started writes its record; then the client retries once.
    late = worker(taskQueue);
    await late.running;
    await polled(taskQueue);
    await eventually(async () => expect(await query('select instance_id from wf_instances_view where instance_id = $1', [instanceId])).toHaveLength(1), 60_000);
    const retry = await send();
    expect(retry.status).toBe(201);
    expect(((await retry.json()) as any).instance_id).toBe(instanceId);
  } finally {
    await late?.kill();
    await api.close();
  }
}, 60_000);
