import { instanceWorkflowId } from '../src/temporal/ids';
import { createTaskUpdate } from '../src/workflows/messages';
import { eventually } from './support/eventually';
import { startHarness, type Harness, type Member } from './support/harness';
import { childWorker, forgetStickyWorker, pollersOn } from './support/worker';

// An instance notices its own SLA moments on time (a durable timer per next moment), with no sweep run: the
// harness's worker has no sweep schedule.

let h: Harness;
let admin: Member;

beforeAll(async () => {
  h = await startHarness();
  admin = await h.member((await h.organization()).id, ['admin', 'user']);
  const res = await h.request('POST', '/api/v1/definitions', {
    token: admin.token,
    body: { code: 'ON_TIME_SLA', states: ['OPEN', 'DONE'], transitions: [{ from: 'OPEN', to: 'DONE', by: ['user'] }], sla_hours: 2 / 3600 },
  });
  expect(res.status).toBe(201);
});
afterAll(() => h.close());

const rows = (text: string, values: unknown[]) =>
  h.system.services.db.withOrg(admin.organizationId, async (sql) => (await sql.query(text, values)).rows);
const view = async (id: string) => (await rows('select * from wf_instances_view where instance_id = $1', [id]))[0];
const slaNotes = (id: string) => rows(`select note, created_at from wf_steps_view where instance_id = $1 and note like 'SLA%' order by line_number`, [id]);
const sweepRuns = async () => (await rows(`select count(*)::int as n from wf_scheduler_runs_view`, []))[0]?.n ?? 0;

async function start(): Promise<string> {
  const res = await h.request('POST', '/api/v1/workflows', { token: admin.token, body: { definition_code: 'ON_TIME_SLA' } });
  expect(res.status).toBe(201);
  return res.body.instance_id;
}

test('a 2-second SLA is escalated within 3 s of its deadline by the instance itself, no sweep run', async () => {
  const runsBefore = await sweepRuns();
  const id = await start();
  const slaAt = new Date((await view(id)).sla_at).getTime();
  await eventually(async () => expect(await view(id)).toMatchObject({ sla_escalation_level: 1 }), 10_000, 100);
  const escalation = (await slaNotes(id)).find((n) => n.note === 'SLA_ESCALATION');
  expect(escalation).toBeDefined();
  const lateMs = new Date(escalation.created_at).getTime() - slaAt;
  expect(lateMs).toBeGreaterThanOrEqual(0);
  expect(lateMs).toBeLessThan(3_000);
  // The warnings at 50 % and 75 % came first (one note with the higher tier, or both), then the breach, each once.
  const notices = await rows(`select template from wf_notifications_view where instance_id = $1 order by created_at`, [id]);
  expect(notices.filter((n) => n.template === 'sla_breach')).toHaveLength(1);
  expect(await sweepRuns()).toBe(runsBefore);
});

test('a paused instance is not escalated; after resume it is, at its moved deadline', async () => {
  const id = await start();
  const paused = await h.request('POST', `/api/v1/workflows/${id}/pause`, { token: admin.token, body: { reason: 'waiting' } });
  expect(paused.status).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, 3_500));
  expect(await view(id)).toMatchObject({ paused: true, sla_escalation_level: 0 });
  const resumed = await h.request('POST', `/api/v1/workflows/${id}/resume`, { token: admin.token, body: {} });
  expect(resumed.status).toBe(200);
  const movedSla = Date.parse(resumed.body.sla_at);
  expect(movedSla).toBeGreaterThan(Date.now());
  await eventually(async () => expect(await view(id)).toMatchObject({ sla_escalation_level: 1 }), 10_000, 100);
  const escalation = (await slaNotes(id)).find((n) => n.note === 'SLA_ESCALATION');
  const lateMs = new Date(escalation.created_at).getTime() - movedSla;
  expect(lateMs).toBeGreaterThanOrEqual(0);
  expect(lateMs).toBeLessThan(3_000);
});

test('a sweep after the instance noticed its breach itself changes nothing: each level is recorded once', async () => {
  const id = await start();
  await eventually(async () => expect(await view(id)).toMatchObject({ sla_escalation_level: 1 }), 10_000, 100);
  const swept = await h.request('POST', '/api/v1/scheduler/run', { token: admin.token, body: {} });
  expect(swept.status).toBe(200);
  const notes = (await slaNotes(id)).map((n) => n.note);
  expect(notes.filter((n) => n === 'SLA_ESCALATION')).toHaveLength(1);
  const breaches = await rows(`select count(*)::int as n from wf_notifications_view where instance_id = $1 and template = 'sla_breach'`, [id]);
  expect(breaches).toEqual([{ n: 1 }]);
});

test('a worker down over the deadline: once one is back, the breach is recorded once, whether the sweep or the instance gets there first', async () => {
  const taskQueue = `on-time-${Date.now()}`;
  let worker = childWorker(h.env.databaseUrl, taskQueue);
  await worker.running;
  await pollersOn(h.system.services.temporal, taskQueue);
  const api = await h.apiWith({ HERA_TASK_QUEUE: taskQueue });
  try {
    const started = await api.call(admin, '/api/v1/workflows', { definition_code: 'ON_TIME_SLA' });
    expect(started.status).toBe(201);
    const id = started.body.instance_id;
    await worker.kill();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await view(id)).toMatchObject({ sla_escalation_level: 0 });
    // The sweep asks while no worker runs the instance; a worker comes back meanwhile, and its timer fires too.
    const swept = h.request('POST', '/api/v1/scheduler/run', { token: admin.token, body: {} });
    worker = childWorker(h.env.databaseUrl, taskQueue);
    await worker.running;
    await forgetStickyWorker(h.system.services.temporal, [instanceWorkflowId(admin.organizationId, id)]);
    expect((await swept).status).toBe(200);
    await eventually(async () => expect(await view(id)).toMatchObject({ sla_escalation_level: 1 }), 20_000, 100);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await slaNotes(id)).filter((n) => n.note === 'SLA_ESCALATION')).toHaveLength(1);
    const breaches = await rows(`select count(*)::int as n from wf_notifications_view where instance_id = $1 and template = 'sla_breach'`, [id]);
    expect(breaches).toEqual([{ n: 1 }]);
  } finally {
    await api.close();
    await worker.kill();
  }
}, 120_000);

test("an open task's overdue level is recorded by the instance itself within 3 s of its moment, no sweep run", async () => {
  const runsBefore = await sweepRuns();
  const id = await start();
  // Due an hour ago less two seconds: its first overdue level (an hour late) falls two seconds from now. The API
  // refuses a due time in the past, so the task goes straight to the instance's Update, as a definition's would.
  const dueAt = new Date(Date.now() - 3_600_000 + 2_000).toISOString();
  const handle = h.system.services.temporal.workflow.getHandle(instanceWorkflowId(admin.organizationId, id));
  const created = await handle.executeUpdate(createTaskUpdate, {
    args: [{ actor: { userId: admin.userId, roles: admin.roles }, title: 'Late', body: '', assignee_role: 'manager', priority: 'medium', due_at: dueAt }],
  });
  const taskId = created.task.task_id;
  const momentMs = Date.parse(dueAt) + 3_600_000;
  const task = async () => (await h.request('GET', `/api/v1/tasks/${taskId}`, { token: admin.token })).body.task;
  await eventually(async () => expect((await task()).task.overdue_level).toBe(1), 10_000, 100);
  const recorded = await task();
  const lateMs = new Date(recorded.updated_at).getTime() - momentMs;
  expect(lateMs).toBeGreaterThanOrEqual(0);
  expect(lateMs).toBeLessThan(3_000);
  expect(recorded.escalation_count).toBe(1);
  const notices = await rows(`select count(*)::int as n from wf_notifications_view where instance_id = $1 and template = 'task_overdue'`, [id]);
  expect(notices[0].n).toBeGreaterThanOrEqual(1);
  expect(await sweepRuns()).toBe(runsBefore);
});
