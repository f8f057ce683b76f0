import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { lateTimerUpdateId } from '../src/activities/sweep';
import { durationMs } from '../src/config';
import { freePort } from '../src/net';
import { instanceWorkflowId } from '../src/temporal/ids';
import { eventually, until } from './support/eventually';
import { startHarness, type Harness, type Member } from './support/harness';
import { childWorker, forgetStickyWorker, type ChildWorker } from './support/worker';

let h: Harness;
let admin: Member;
let owner: Member;
let managerId: string;

const hour = 3_600_000;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

/** Each test sweeps an organization of its own: an owner whose manager is in the directory, and the operations team. */
beforeEach(async () => {
  const org = (await h.organization()).id;
  [admin, owner] = await Promise.all([h.member(org, ['admin', 'manager', 'user']), h.member(org, ['user'])]);
  managerId = randomUUID();
  const put = (path: string, body: unknown) => h.request('PUT', path, { token: admin.token, body });
  expect((await put('/api/v1/teams/operations', { name: 'Operations' })).status).toBe(200);
  expect((await put(`/api/v1/users/${managerId}`, { name: 'Mona Manager', roles: ['manager'] })).status).toBe(200);
  expect((await put(`/api/v1/users/${owner.userId}`, { name: 'Olli Owner', roles: ['user'], manager_user_id: managerId })).status).toBe(200);
});

const post = (member: Member, path: string, body: unknown = {}, headers?: Record<string, string>) =>
  h.request('POST', path, { token: member.token, body, headers });
const rows = (text: string, values: unknown[]) =>
  h.system.services.db.withOrg(admin.organizationId, async (sql) => (await sql.query(text, values)).rows);
const view = async (id: string) => (await rows('select * from wf_instances_view where instance_id = $1', [id]))[0];
const noticesOf = (ids: string[]) =>
  rows(`select * from wf_notifications_view where instance_id = any($1::uuid[]) order by created_at, notification_id`, [ids]);
const notes = async (id: string) =>
  (await rows(`select note from wf_steps_view where instance_id = $1 and note like 'SLA%' order by line_number`, [id])).map((r) => r.note);

/**
 * A sweep of the test's organization, answering its report. The API refuses a committed run as of a later moment
 * (it would escalate ahead of time), so for the later tiers the tests start the sweep workflow as the procedure does.
 */
async function sweep(body: Record<string, unknown> = {}, headers?: Record<string, string>) {
  if (typeof body.as_of === 'string' && Date.parse(body.as_of) > Date.now() && body.dry_run !== true) {
    return h.system.services.temporal.workflow.execute('sweepWorkflow', {
      workflowId: `test-sweep-${randomUUID()}`,
      taskQueue: h.env.taskQueue,
      args: [{ trigger: 'api', organization_filter: [admin.organizationId], ...body }],
    });
  }
  const res = await post(admin, '/api/v1/scheduler/run', body, headers);
  expect(res.status).toBe(200);
  return res.body;
}

/** An ACTIVE TEST_ADMIN_WORKFLOW instance (SLA 24 h) owned by `owner`. */
async function instance(): Promise<{ id: string; slaMs: number }> {
  const res = await post(owner, '/api/v1/workflows', { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE' });
  expect(res.status).toBe(201);
  return { id: res.body.instance_id, slaMs: Date.parse(res.body.sla_at) };
}

/** `count` such instances, eight started at a time. */
async function instances(count: number): Promise<Array<{ id: string; slaMs: number }>> {
  const made: Array<{ id: string; slaMs: number }> = [];
  let taken = 0;
  const lanes = Array.from({ length: 8 }, async () => {
    while (taken < count) {
      taken += 1;
      made.push(await instance());
    }
  });
  await Promise.all(lanes);
  return made;
}

const at = (ms: number) => new Date(ms).toISOString();

/** The worker's timer grace (HERA_TIMER_GRACE, 1 s in tests): a PENDING timer is late this long past its fire_at. */
const graceMs = () => durationMs(h.config.HERA_TIMER_GRACE);

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The `hera_sweep_*` series a worker's Prometheus endpoint shows now. */
async function sweepMetrics(url: string): Promise<Sample[]> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  const samples: Sample[] = [];
  for (const line of (await res.text()).split('\n')) {
    const m = /^(hera_sweep_\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k, v]));
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

const seriesKey = (s: Pick<Sample, 'name' | 'labels'>) =>
  `${s.name}{${Object.entries(s.labels).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(',')}}`;

/** Every series that moved between two scrapes, by `name{label=value,…}` (labels sorted), and by how much. */
function moved(before: Sample[], after: Sample[]): Record<string, number> {
  const was = new Map(before.map((s) => [seriesKey(s), s.value]));
  const changes: Record<string, number> = {};
  for (const s of after) {
    const delta = s.value - (was.get(seriesKey(s)) ?? 0);
    if (delta !== 0) changes[seriesKey(s)] = delta;
  }
  return changes;
}

/** The histogram series a recorded run of this duration adds to `hera_sweep_run_duration_seconds`. */
function durationObserved(runDurationMs: number, buckets: Sample[]): Record<string, number> {
  const observed: Record<string, number> = { 'hera_sweep_run_duration_seconds_count{}': 1 };
  for (const b of buckets.filter((s) => s.name === 'hera_sweep_run_duration_seconds_bucket')) {
    if (b.labels.le === '+Inf' || runDurationMs / 1000 <= Number(b.labels.le)) observed[seriesKey(b)] = 1;
  }
  return observed;
}

/** `moved`, with the duration histogram's sum checked apart (a float) and left out. */
function movedExceptSum(before: Sample[], after: Sample[], runDurationMs: number | null): Record<string, number> {
  const changes = moved(before, after);
  const sum = changes['hera_sweep_run_duration_seconds_sum{}'] ?? 0;
  expect(sum).toBeCloseTo(runDurationMs === null ? 0 : runDurationMs / 1000, 6);
  delete changes['hera_sweep_run_duration_seconds_sum{}'];
  return changes;
}

const workerMetricsUrl = () => {
  const url = process.env.HERA_TEST_WORKER_METRICS_URL;
  if (!url) throw new Error('HERA_TEST_WORKER_METRICS_URL is not set: the global setup starts the worker with a metrics port');
  return url;
};

/**
 * Resolves once Temporal has admitted the Update `updateId` of the workflow `workflowId` (received it, whether or
 * not a worker has taken it yet); until it arrives the server answers NOT_FOUND.
 */
async function admitted(workflowId: string, updateId: string): Promise<void> {
  const admittedStage = temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED;
  await eventually(async () => {
    const answer = await h.system.services.temporal.connection.workflowService.pollWorkflowExecutionUpdate({
      namespace: h.config.TEMPORAL_NAMESPACE,
      updateRef: { workflowExecution: { workflowId }, updateId },
      waitPolicy: { lifecycleStage: admittedStage },
    });
    expect(answer.stage).toBeGreaterThanOrEqual(admittedStage);
  }, 20_000, 100);
}

test('SLA tiers through as_of (scenario 21): 50 %/75 % warnings, breach at 0 h / 2 h / 6 h to owner, manager, operations; each once', async () => {
  const started = await Promise.all([instance(), instance(), instance()]);
  const ids = started.map((s) => s.id);
  const sla = Math.max(...started.map((s) => s.slaMs));

  const halfway = await sweep({ as_of: at(sla - 11 * hour) });
  expect(halfway).toMatchObject({ dry_run: false, organizations_swept: 1, instances_warned: 3, instances_escalated: 0, notifications_sent: 3 });
  let notices = await noticesOf(ids);
  expect(notices.map((n) => n.template)).toEqual(['sla_warning', 'sla_warning', 'sla_warning']);
  expect(notices[0]).toMatchObject({ recipient: { user_id: owner.userId }, payload: { alert_code: 'HERA.COMMS.ALERT.SLA.WARNING.V1', params: { percent: 50 } } });

  // What-if: a dry run past the deadline counts the escalations and changes nothing.
  const whatIf = await sweep({ as_of: at(sla + 60_000), dry_run: true });
  expect(whatIf).toMatchObject({ dry_run: true, instances_escalated: 3, notifications_sent: 3 });
  expect((await noticesOf(ids)).length).toBe(3);
  for (const id of ids) expect(await view(id)).toMatchObject({ sla_warning_level: 1, sla_escalation_level: 0, sla_escalated_at: null });

  const breached = await sweep({ as_of: at(sla + 60_000), organization_filter: [admin.organizationId] });
  expect(breached).toMatchObject({ instances_processed: 3, instances_escalated: 3, notifications_sent: 3 });
  notices = (await noticesOf(ids)).filter((n) => n.template === 'sla_breach');
  expect(notices).toHaveLength(3);
  for (const notice of notices) {
    expect(notice.recipient).toEqual({ user_id: owner.userId });
    expect(notice.payload).toMatchObject({
      alert_code: 'HERA.COMMS.ALERT.SLA.BREACH.V1',
      subject: `SLA breach: TEST_ADMIN_WORKFLOW ${notice.instance_id}`,
      params: { definition_code: 'TEST_ADMIN_WORKFLOW', instance_id: notice.instance_id, escalation_level: 1, escalated_to: 'owner' },
    });
    expect(notice.payload.body).toMatch(/is 0\.0\d hours past its SLA/);
  }
  for (const id of ids) {
    const row = await view(id);
    expect(row).toMatchObject({ sla_warning_level: 2, sla_escalation_level: 1 });
    expect(row.sla_escalated_at).toBeInstanceOf(Date);
  }

  const again = await sweep({ as_of: at(sla + 60_000) });
  expect(again).toMatchObject({ instances_processed: 0, instances_warned: 0, instances_escalated: 0, notifications_sent: 0, timers_fired: 0, tasks_escalated: 0 });

  expect(await sweep({ as_of: at(sla + 2 * hour + 60_000) })).toMatchObject({ instances_escalated: 3, notifications_sent: 3 });
  expect(await sweep({ as_of: at(sla + 6 * hour + 60_000) })).toMatchObject({ instances_escalated: 3, notifications_sent: 3 });
  expect(await sweep({ as_of: at(sla + 9 * hour) })).toMatchObject({ instances_processed: 0, notifications_sent: 0 });

  notices = await noticesOf([ids[0]]);
  expect(notices.map((n) => [n.template, n.recipient])).toEqual([
    ['sla_warning', { user_id: owner.userId }],
    ['sla_breach', { user_id: owner.userId }],
    ['sla_breach', { user_id: managerId }],
    ['sla_breach', { team: 'operations' }],
  ]);
  expect(await view(ids[0])).toMatchObject({ sla_escalation_level: 3, sla_check_at: null });
  expect(await notes(ids[0])).toEqual(['SLA_WARNING', 'SLA_ESCALATION', 'SLA_ESCALATION', 'SLA_ESCALATION']);
});

test('a deadline that really passed is escalated on time by the instance itself, a sweep at the current time finds nothing left, and a recalculation starts the tiers again', async () => {
  const code = `SWEEP_SHORT_${randomUUID().slice(0, 8).toUpperCase()}`;
  const definition = {
    code,
    version: 1,
    states: ['OPEN', 'DONE'],
    initial_state: 'OPEN',
    terminal_states: ['DONE'],
    sla_hours: 2 / 3600,
    transitions: [{ from: 'OPEN', to: 'DONE', by: ['user'] }],
  };
  expect((await post(admin, '/api/v1/definitions', definition)).status).toBe(201);
  const started = await post(owner, '/api/v1/workflows', { definition_code: code });
  expect(started.status).toBe(201);
  const id = started.body.instance_id as string;
  // The real deadline, 2 s after the start: the instance's own timer records each tier as it falls due, so a run
  // begun after it (its as_of is its start) finds nothing left to do.
  const slaMs = Date.parse(started.body.sla_at);
  await until(slaMs);
  await eventually(async () => expect(await view(id)).toMatchObject({ sla_warning_level: 2, sla_escalation_level: 1 }), 10_000, 100);
  const late = await sweep();
  expect(Date.parse(late.as_of)).toBeGreaterThanOrEqual(slaMs);
  expect(late).toMatchObject({ instances_escalated: 0, instances_warned: 0, errors: 0 });

  // A fractional override: the SLA's length in milliseconds is not a whole number of hours' worth.
  const recalc = await post(admin, `/api/v1/workflows/${id}/sla-recalc`, { sla_override_hours: 1.1 });
  expect(recalc.status).toBe(200);
  expect(await view(id)).toMatchObject({ sla_warning_level: 0, sla_escalation_level: 0, sla_escalated_at: null });
  expect(await sweep()).toMatchObject({ instances_processed: 0 });
  expect(await sweep({ as_of: at(Date.parse(recalc.body.new_sla_at) - 10 * 60_000) })).toMatchObject({ instances_warned: 1, notifications_sent: 1, errors: 0 });
  // The warnings the instance sent on its way (one or two, as its checks fell), one breach, then the new SLA's warning.
  const notices = (await noticesOf([id])).map((n) => [n.template, n.payload.params.warning_level ?? n.payload.params.escalation_level]);
  expect(notices.filter(([template]) => template === 'sla_breach')).toEqual([['sla_breach', 1]]);
  expect(notices[notices.length - 1]).toEqual(['sla_warning', 2]);
});

test('a long run continues as new and still answers one report with every organization counted', async () => {
  const otherOrg = (await h.organization()).id;
  const otherOwner = await h.member(otherOrg, ['user']);
  const started = await Promise.all([instance(), instance()]);
  for (let i = 0; i < 2; i += 1) {
    const res = await h.request('POST', '/api/v1/workflows', { token: otherOwner.token, body: { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE' } });
    expect(res.status).toBe(201);
  }
  const workflowId = `sweep-test-${randomUUID()}`;
  const report = await h.system.services.temporal.workflow.execute('sweepWorkflow', {
    workflowId,
    taskQueue: h.env.taskQueue,
    args: [{ trigger: 'api', organization_filter: [admin.organizationId, otherOrg], as_of: at(Math.max(...started.map((s) => s.slaMs)) + hour), history_limit: 12 }],
  });
  expect(report).toMatchObject({ organizations_swept: 2, instances_processed: 4, instances_escalated: 4, notifications_sent: 4, errors: 0 });
  const { executions } = await h.system.services.temporal.connection.workflowService.listWorkflowExecutions({ namespace: 'default', query: `WorkflowId = "${workflowId}"` });
  expect(executions.length).toBeGreaterThan(1);
});

test('two sweeps started at once send each notice once', async () => {
  const started = await Promise.all(Array.from({ length: 5 }, () => instance()));
  const ids = started.map((s) => s.id);
  const asOf = at(Math.max(...started.map((s) => s.slaMs)) + hour);
  const [a, b] = await Promise.all([sweep({ as_of: asOf }), sweep({ as_of: asOf })]);
  expect(a.instances_escalated + b.instances_escalated).toBe(5);
  expect(a.notifications_sent + b.notifications_sent).toBe(5);
  expect(a.instances_processed + b.instances_processed - 5).toBe((a.skipped.NOTHING_DUE ?? 0) + (b.skipped.NOTHING_DUE ?? 0));
  const notices = await noticesOf(ids);
  expect(notices).toHaveLength(5);
  expect(new Set(notices.map((n) => n.idempotency_key)).size).toBe(5);
  for (const id of ids) expect(await notes(id)).toEqual(['SLA_ESCALATION']);
});

test('a paused instance past its SLA is not escalated; after the resume its moved deadline is what counts', async () => {
  const { id, slaMs } = await instance();
  const paused = await post(admin, `/api/v1/workflows/${id}/pause`, { reason: 'waiting on the customer' });
  expect(paused.status).toBe(200);
  const whilePaused = await sweep({ as_of: at(slaMs + hour) });
  expect(whilePaused).toMatchObject({ instances_processed: 0, instances_escalated: 0 });
  expect(await view(id)).toMatchObject({ paused: true, sla_escalation_level: 0 });
  const resumed = await post(admin, `/api/v1/workflows/${id}/resume`);
  expect(resumed.status).toBe(200);
  // The deadline moved by exactly the paused time (the sweep's run above at least).
  const pausedMs = Date.parse(resumed.body.resumed_at) - Date.parse(paused.body.paused_at);
  expect(resumed.body.pause_duration_seconds).toBe(pausedMs / 1000);
  const movedSla = Date.parse(resumed.body.sla_at);
  expect(movedSla - slaMs).toBe(pausedMs);
  expect(pausedMs).toBeGreaterThan(0);

  // Past the original deadline but a millisecond before the moved one: warned (75 %), not breached.
  expect(await sweep({ as_of: at(movedSla - 1) })).toMatchObject({ instances_warned: 1, instances_escalated: 0 });
  expect(await view(id)).toMatchObject({ sla_warning_level: 2, sla_escalation_level: 0 });
  // At the moved deadline: breached.
  expect(await sweep({ as_of: at(movedSla) })).toMatchObject({ instances_escalated: 1 });
  const [breach] = (await noticesOf([id])).filter((n) => n.template === 'sla_breach');
  expect(breach.payload.params.sla_at).toBe(resumed.body.sla_at);
});

test('a finished instance is never swept, however late its SLA', async () => {
  const { id, slaMs } = await instance();
  expect((await post(owner, `/api/v1/workflows/${id}/advance`, { to_state: 'COMPLETED' })).status).toBe(200);
  expect(await sweep({ as_of: at(slaMs + 7 * hour) })).toMatchObject({ instances_processed: 0, instances_escalated: 0, notifications_sent: 0 });
  expect(await view(id)).toMatchObject({ status: 'completed', sla_escalation_level: 0 });
  expect(await noticesOf([id])).toEqual([]);
});

test('the sweep never fires a timer early (a future as_of included) nor one of a paused instance', async () => {
  const { id } = await instance();
  const { id: pausedId } = await instance();
  // Paused first: its timer is set on the paused instance, so its workflow cannot fire it either.
  expect((await post(admin, `/api/v1/workflows/${pausedId}/pause`)).status).toBe(200);
  const ahead = await post(admin, `/api/v1/workflows/${id}/timers`, { name: 'ahead', duration: 'PT1H', on_fire: { create_task: { title: 'Too soon', assignee_role: 'manager' } } });
  const frozen = await post(admin, `/api/v1/workflows/${pausedId}/timers`, { name: 'frozen', duration: 'PT1S', on_fire: { create_task: { title: 'Never', assignee_role: 'manager' } } });
  expect([ahead.status, frozen.status]).toEqual([200, 200]);
  // Until the paused timer is late (past its fire_at plus the grace) in real time.
  await until(Date.parse(frozen.body.fire_at) + graceMs() + 1);
  expect(await sweep({ as_of: at(Date.now() + 2 * hour) })).toMatchObject({ timers_processed: 0, timers_fired: 0 });
  const statuses = await rows('select timer_status from wf_timers_view where timer_id = any($1::uuid[])', [[ahead.body.timer_id, frozen.body.timer_id]]);
  expect(statuses.map((t) => t.timer_status)).toEqual(['PENDING', 'PENDING']);
});


test('timers late past their grace while their worker was down are fired by the sweep through their workflow, each once (scenario 22)', async () => {
  // The instances live on a task queue of their own, so their worker can be stopped while the sweep's keeps running.
  const taskQueue = `late-sweep-${randomUUID()}`;
  const api = await h.apiWith({ HERA_TASK_QUEUE: taskQueue });
  let instanceWorker = childWorker(h.env.databaseUrl, taskQueue);
  try {
    await instanceWorker.running;
    // Every timer falls due at one moment, far enough ahead for the setup below (five calls and the worker's stop).
    const deadline = Date.now() + 6_000;
    const timers: Array<{ instanceId: string; timerId: string; fireAt: number }> = [];
    for (const names of [['a1', 'a2'], ['b1']]) {
      const started = await api.call(owner, '/api/v1/workflows', { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE' });
      expect(started.status).toBe(201);
      for (const name of names) {
        const duration = `PT${(Math.max(1, deadline - Date.now()) / 1000).toFixed(3)}S`;
        const timer = await api.call(admin, `/api/v1/workflows/${started.body.instance_id}/timers`, { name, duration, on_fire: { create_task: { title: `Late ${name}`, assignee_role: 'manager' } } });
        expect(timer.status).toBe(200);
        timers.push({ instanceId: started.body.instance_id, timerId: timer.body.timer_id, fireAt: Date.parse(timer.body.fire_at) });
      }
    }
    await instanceWorker.kill();
    // Their worker was gone before any of them fell due: only the sweep can fire them now.
    expect(Date.now()).toBeLessThan(Math.min(...timers.map((t) => t.fireAt)));
    const instanceIds = [...new Set(timers.map((t) => t.instanceId))];
    await forgetStickyWorker(h.system.services.temporal, instanceIds.map((id) => instanceWorkflowId(admin.organizationId, id)));
    // Until every timer is late: past its fire_at plus the grace.
    await until(Math.max(...timers.map((t) => t.fireAt)) + graceMs() + 1);
    const statuses = async () =>
      (await rows('select timer_status from wf_timers_view where timer_id = any($1::uuid[])', [timers.map((t) => t.timerId)])).map((r) => r.timer_status);
    expect(await statuses()).toEqual(['PENDING', 'PENDING', 'PENDING']);

    // The run's as_of names its fireTimer Updates; it is now, so every timer is late for it.
    const asOf = at(Date.now());
    const metricsBefore = await sweepMetrics(workerMetricsUrl());
    const run = sweep({ as_of: asOf });
    run.catch(() => undefined); // awaited below; a failure meanwhile is not an unhandled rejection
    // The sweep's fire requests reach the instances while their worker is away; then the worker comes back to them.
    await Promise.all(timers.map((t) => admitted(instanceWorkflowId(admin.organizationId, t.instanceId), lateTimerUpdateId(t.timerId, asOf))));
    instanceWorker = childWorker(h.env.databaseUrl, taskQueue);
    await instanceWorker.running;
    const report = await run;
    expect(report).toMatchObject({ as_of: asOf, timers_processed: 3, timers_fired: 3, errors: 0 });
    expect(report.skipped).toEqual({});
    expect(await statuses()).toEqual(['FIRED', 'FIRED', 'FIRED']);
    const metricsAfter = await sweepMetrics(workerMetricsUrl());
    expect(movedExceptSum(metricsBefore, metricsAfter, report.run_duration_ms)).toEqual({
      'hera_sweep_changes_total{change=fired,sweep_job=timers}': 3,
      'hera_sweep_runs_total{status=COMPLETED,trigger=api}': 1,
      ...durationObserved(report.run_duration_ms, metricsAfter),
    });
    // Each fire's task is written before its Update answers.
    const created = await rows(`select title from wf_tasks_view where instance_id = any($1::uuid[]) order by title`, [instanceIds]);
    expect(created.map((t) => t.title)).toEqual(['Late a1', 'Late a2', 'Late b1']);
    expect(await sweep()).toMatchObject({ timers_processed: 0, timers_fired: 0 });
  } finally {
    await instanceWorker.kill();
    await api.close();
  }
}, 90_000);

test('an instance that does not answer within the per-item time is counted in errors and left for the next run', async () => {
  // Its instances live on a task queue of their own, whose worker is stopped. The runs that find them silent go
  // to a worker of their own whose per-item time is 1 s (HERA_SWEEP_ITEM_TIMEOUT; 20 s by default), with metrics.
  const instanceQueue = `silent-${randomUUID()}`;
  const sweepQueue = `sweep-item-timeout-${randomUUID()}`;
  const metricsUrl = `http://127.0.0.1:${await freePort()}/metrics`;
  const api = await h.apiWith({ HERA_TASK_QUEUE: instanceQueue });
  let instanceWorker = childWorker(h.env.databaseUrl, instanceQueue);
  const sweepWorker = childWorker(h.env.databaseUrl, sweepQueue, { HERA_SWEEP_ITEM_TIMEOUT: '1s', HERA_WORKER_METRICS_PORT: new URL(metricsUrl).port });
  try {
    await Promise.all([instanceWorker.running, sweepWorker.running]);
    const silent: Array<{ id: string; slaMs: number }> = [];
    for (let i = 0; i < 2; i += 1) {
      const res = await api.call(owner, '/api/v1/workflows', { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE' });
      expect(res.status).toBe(201);
      silent.push({ id: res.body.instance_id, slaMs: Date.parse(res.body.sla_at) });
    }
    const ids = silent.map((s) => s.id);
    await instanceWorker.kill();
    await forgetStickyWorker(h.system.services.temporal, ids.map((id) => instanceWorkflowId(admin.organizationId, id)));
    const asOf = at(Math.max(...silent.map((s) => s.slaMs)) + 60_000);
    const runOnSweepWorker = (): Promise<any> =>
      h.system.services.temporal.workflow.execute('sweepWorkflow', {
        workflowId: `sweep-test-${randomUUID()}`,
        taskQueue: sweepQueue,
        args: [{ trigger: 'api', organization_filter: [admin.organizationId], as_of: asOf }],
      });
    const levels = async () => (await rows('select instance_id, sla_warning_level, sla_escalation_level, sla_check_at from wf_instances_view where instance_id = any($1::uuid[]) order by instance_id', [ids]));
    const untouched = await levels();

    const before = await sweepMetrics(metricsUrl);
    const first = await runOnSweepWorker();
    expect(first).toMatchObject({ instances_processed: 2, instances_escalated: 0, notifications_sent: 0, errors: 2 });
    expect(first.skipped).toEqual({});
    // Counted as errors where the run ran, and the run recorded with them.
    const after = await sweepMetrics(metricsUrl);
    expect(movedExceptSum(before, after, first.run_duration_ms)).toEqual({
      'hera_sweep_errors_total{sweep_job=sla}': 2,
      'hera_sweep_runs_total{status=COMPLETED_WITH_ERRORS,trigger=api}': 1,
      ...durationObserved(first.run_duration_ms, after),
    });
    const [record] = await h.system.services.db.withOrg('00000000-0000-4000-8000-0000000000f0', async (sql) =>
      (await sql.query('select status, counts from wf_scheduler_runs_view where run_id = $1', [first.scheduler_run_id])).rows,
    );
    expect(record).toMatchObject({ status: 'COMPLETED_WITH_ERRORS', counts: { errors: 2, instances_escalated: 0 } });
    // Left as they were (no level, no notice, the same next check), so the next run takes them up again.
    expect(await levels()).toEqual(untouched);
    expect(await noticesOf(ids)).toEqual([]);
    expect(await runOnSweepWorker()).toMatchObject({ instances_processed: 2, instances_escalated: 0, errors: 2 });

    // Their worker back, the next run leaves each escalated once. (Temporal still holds the timed-out requests
    // and hands them to the returning worker, so they may get there first: the instance decides again, once.)
    instanceWorker = childWorker(h.env.databaseUrl, instanceQueue);
    await instanceWorker.running;
    expect(await sweep({ as_of: asOf })).toMatchObject({ errors: 0 });
    // When an old request got there first, this run was refused NOTHING_DUE as soon as the instance had decided,
    // which can be before that decision's transaction commits: wait for it.
    await eventually(async () => {
      for (const row of await levels()) expect(row).toMatchObject({ sla_warning_level: 2, sla_escalation_level: 1 });
    });
    for (const id of ids) expect(await notes(id)).toEqual(['SLA_ESCALATION']);
    const notices = await noticesOf(ids);
    expect(notices.map((n) => [n.template, n.recipient])).toEqual([
      ['sla_breach', { user_id: owner.userId }],
      ['sla_breach', { user_id: owner.userId }],
    ]);
    expect(new Set(notices.map((n) => n.instance_id))).toEqual(new Set(ids));
  } finally {
    await Promise.all([instanceWorker.kill(), sweepWorker.kill()]);
    await api.close();
  }
}, 90_000);

test('max_instances_per_run: a run looks at exactly that many instances; the next run goes on', async () => {
  const started = await instances(3);
  const asOf = at(Math.max(...started.map((s) => s.slaMs)) + 60_000);
  expect(await sweep({ as_of: asOf, dry_run: true })).toMatchObject({ instances_processed: 3, instances_escalated: 3 });

  const first = await sweep({ as_of: asOf, max_instances_per_run: 2 });
  expect(first).toMatchObject({ instances_processed: 2, instances_escalated: 2, notifications_sent: 2, errors: 0 });
  // The run took them earliest check first: the one left is the latest (its 50 % mark is its SLA less 12 h).
  const [last] = [...started].sort((a, b) => a.slaMs - b.slaMs || (a.id < b.id ? -1 : 1)).slice(-1);
  const left = await rows('select instance_id from wf_instances_view where instance_id = any($1::uuid[]) and sla_escalation_level = 0', [started.map((s) => s.id)]);
  expect(left.map((r) => r.instance_id)).toEqual([last.id]);

  expect(await sweep({ as_of: asOf, max_instances_per_run: 2 })).toMatchObject({ instances_processed: 1, instances_escalated: 1, notifications_sent: 1, errors: 0 });
  expect(await sweep({ as_of: asOf })).toMatchObject({ instances_processed: 0 });
  const notices = await noticesOf(started.map((s) => s.id));
  expect(notices).toHaveLength(3);
  expect(new Set(notices.map((n) => n.instance_id)).size).toBe(3);
});

test('a pause stops the tasks’ clocks too: after the resume their due time is later by the paused time', async () => {
  const { id } = await instance();
  const dueAt = at(Date.now() + hour);
  const task = await post(admin, `/api/v1/workflows/${id}/tasks`, { title: 'Frozen task', assignee_role: 'manager', due_at: dueAt });
  expect(task.status).toBe(201);
  const paused = await post(admin, `/api/v1/workflows/${id}/pause`);
  expect(paused.status).toBe(200);
  const resumed = await post(admin, `/api/v1/workflows/${id}/resume`);
  expect(resumed.status).toBe(200);
  const pausedMs = Date.parse(resumed.body.resumed_at) - Date.parse(paused.body.paused_at);
  expect(resumed.body.pause_duration_seconds).toBe(pausedMs / 1000);
  expect(pausedMs).toBeGreaterThan(0);
  const [row] = await rows('select due_at, overdue_check_at from wf_tasks_view where task_id = $1', [task.body.task_id]);
  const movedDue = row.due_at.getTime();
  expect(movedDue - Date.parse(dueAt)).toBe(pausedMs);
  expect(row.overdue_check_at.getTime() - movedDue).toBe(hour);
  // An hour past the original due time, a millisecond short of an hour past the moved one: not yet overdue.
  expect(await sweep({ as_of: at(movedDue + hour - 1) })).toMatchObject({ tasks_processed: 0, tasks_escalated: 0 });
  expect(await sweep({ as_of: at(movedDue + hour) })).toMatchObject({ tasks_processed: 1, tasks_escalated: 1 });
});

test('overdue tasks escalated at 1 h and 4 h (scenario 23): up the hierarchy, priority raised, each level announced once', async () => {
  const { id } = await instance();
  const dueAt = at(Date.now() + 60_000);
  const taskIds: string[] = [];
  for (const title of ['Review A', 'Review B']) {
    const res = await post(admin, `/api/v1/workflows/${id}/tasks`, { title, assignee_role: 'manager', due_at: dueAt, priority: 'medium' });
    expect(res.status).toBe(201);
    taskIds.push(res.body.task_id);
  }
  const task = async (taskId: string) => (await rows('select * from wf_tasks_view where task_id = $1', [taskId]))[0];

  const metricsBefore = await sweepMetrics(workerMetricsUrl());
  const first = await sweep({ as_of: at(Date.parse(dueAt) + hour + 60_000) });
  expect(first).toMatchObject({ tasks_processed: 2, tasks_escalated: 2, notifications_sent: 2 });
  const metricsAfter = await sweepMetrics(workerMetricsUrl());
  expect(movedExceptSum(metricsBefore, metricsAfter, first.run_duration_ms)).toEqual({
    'hera_sweep_changes_total{change=tasks_escalated,sweep_job=tasks}': 2,
    'hera_sweep_changes_total{change=notifications,sweep_job=tasks}': 2,
    'hera_sweep_runs_total{status=COMPLETED,trigger=api}': 1,
    ...durationObserved(first.run_duration_ms, metricsAfter),
  });
  for (const taskId of taskIds) {
    expect(await task(taskId)).toMatchObject({ assignee_role: 'senior_manager', priority: 'high', escalation_count: 1, overdue_level: 1 });
  }
  expect(await sweep({ as_of: at(Date.parse(dueAt) + hour + 60_000) })).toMatchObject({ tasks_processed: 0, tasks_escalated: 0 });

  const second = await sweep({ as_of: at(Date.parse(dueAt) + 4 * hour + 60_000) });
  expect(second).toMatchObject({ tasks_escalated: 2 });
  for (const taskId of taskIds) {
    expect(await task(taskId)).toMatchObject({ assignee_role: 'director', priority: 'urgent', escalation_count: 2, overdue_level: 2, overdue_check_at: null });
  }
  const notices = (await noticesOf([id])).filter((n) => n.template === 'task_overdue');
  expect(notices).toHaveLength(4);
  const forA = notices.filter((n) => n.payload.params.task_id === taskIds[0]);
  expect(forA.map((n) => n.recipient)).toEqual([{ role: 'senior_manager' }, { team: 'operations' }]);
  expect(forA[0].payload).toMatchObject({ alert_code: 'HERA.COMMS.ALERT.TASK.OVERDUE.V1', subject: 'Task overdue: Review A', params: { task_title: 'Review A', overdue_level: 1 } });
  expect(forA[0].payload.body).toMatch(new RegExp(`^Task ${taskIds[0]} for senior_manager is 1\\.0\\d hours late\\.$`));
});

test('the run is recorded and counted, and the notifications endpoint lists the notices', async () => {
  const { slaMs } = await instance();
  const asOf = at(slaMs + 60_000);
  const metricsUrl = workerMetricsUrl();
  const before = await sweepMetrics(metricsUrl);
  // A dry run changes nothing and records nothing: no counter moves.
  expect(await sweep({ as_of: asOf, dry_run: true })).toMatchObject({ instances_escalated: 1, notifications_sent: 1 });
  const afterDryRun = await sweepMetrics(metricsUrl);
  expect(movedExceptSum(before, afterDryRun, null)).toEqual({});

  const run = await sweep({ as_of: asOf });
  expect(run).toMatchObject({ instances_processed: 1, instances_escalated: 1, notifications_sent: 1, errors: 0 });
  // The worker's counters moved by exactly what the run changed, and the run is counted once with its duration.
  const after = await sweepMetrics(metricsUrl);
  expect(movedExceptSum(afterDryRun, after, run.run_duration_ms)).toEqual({
    'hera_sweep_changes_total{change=escalated,sweep_job=sla}': 1,
    'hera_sweep_changes_total{change=notifications,sweep_job=sla}': 1,
    'hera_sweep_runs_total{status=COMPLETED,trigger=api}': 1,
    ...durationObserved(run.run_duration_ms, after),
  });
  expect(run.scheduler_run_id).toMatch(/^[0-9a-f-]{36}$/);
  const records = await h.system.services.db.withOrg('00000000-0000-4000-8000-0000000000f0', async (sql) =>
    (await sql.query('select * from wf_scheduler_runs_view where run_id = $1', [run.scheduler_run_id])).rows,
  );
  expect(records).toHaveLength(1);
  expect(records[0]).toMatchObject({ trigger: 'api', status: 'COMPLETED', organization_filter: [admin.organizationId] });
  expect(records[0].counts).toMatchObject({ instances_escalated: run.instances_escalated, notifications_sent: run.notifications_sent });

  const listed = await h.request('GET', '/api/v1/notifications?limit=5', { token: admin.token });
  expect(listed.status).toBe(200);
  expect(listed.body.notifications[0]).toMatchObject({ template: 'sla_breach' });

  // Health follows the schedule's runs, not on-demand ones: with a 1 s interval and no scheduled run, it is stale.
  const strict = await h.apiWith({ HERA_SWEEP_INTERVAL: '1s' });
  try {
    await eventually(async () => {
      const res = await fetch(`${strict.url}/api/v1/scheduler/health`, { headers: { authorization: `Bearer ${admin.token}` } });
      expect(await res.json()).toMatchObject({ healthy: false, interval_seconds: 1 });
    }, 10_000, 250);
    expect(await (await fetch(`${strict.url}/metrics`)).text()).toMatch(/^hera_sweep_healthy 0$/m);
  } finally {
    await strict.close();
  }
});

test('an Idempotency-Key replays the same run; bad input is a 4xx naming the problem', async () => {
  const key = `sweep-${randomUUID()}`;
  const first = await sweep({ dry_run: true }, { 'Idempotency-Key': key });
  const again = await post(admin, '/api/v1/scheduler/run', { dry_run: true }, { 'Idempotency-Key': key });
  expect(again.status).toBe(200);
  expect(again.body.scheduler_run_id).toBe(first.scheduler_run_id);
  expect(again.headers.get('idempotent-replayed')).toBe('true');
  const reused = await post(admin, '/api/v1/scheduler/run', { dry_run: false }, { 'Idempotency-Key': key });
  expect(reused.status).toBe(409);
  expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');

  const foreign = await post(admin, '/api/v1/scheduler/run', { organization_filter: [randomUUID()] });
  expect(foreign.status).toBe(403);
  expect(foreign.body.error.code).toBe('ORGANIZATION_MISMATCH');
  for (const asOf of ['yesterday', '9999-12-31T23:00:00-05:00']) {
    const badDate = await post(admin, '/api/v1/scheduler/run', { as_of: asOf });
    expect(badDate.status).toBe(400);
    expect(badDate.body.error).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(JSON.stringify(badDate.body.error.details)).toContain('as_of');
  }
  const notAdmin = await post(owner, '/api/v1/scheduler/run', {});
  expect(notAdmin.status).toBe(403);
  expect(notAdmin.body.error.code).toBe('PERMISSION_DENIED');
});

test('a committed run may not look ahead: an as_of later than now needs dry_run (400 naming as_of)', async () => {
  const ahead = at(Date.now() + hour);
  const refused = await post(admin, '/api/v1/scheduler/run', { as_of: ahead });
  expect(refused.status).toBe(400);
  expect(refused.body.error).toMatchObject({
    code: 'VALIDATION_FAILED',
    details: { fields: [{ field: 'as_of', message: 'a moment later than now needs dry_run: true' }] },
  });
  expect(await sweep({ as_of: ahead, dry_run: true })).toMatchObject({ as_of: ahead, dry_run: true });
  expect(await sweep({ as_of: at(Date.now() - hour) })).toMatchObject({ dry_run: false, errors: 0 });
});

test('one on-demand sweep per organization at a time: another request is 409 SWEEP_RUNNING, the same key joins the run', async () => {
  // The API's sweeps go to a task queue without a worker until the test starts one: the first run stays running.
  const taskQueue = `sweep-one-${randomUUID()}`;
  const api = await h.apiWith({ HERA_TASK_QUEUE: taskQueue });
  let worker: ChildWorker | undefined;
  try {
    const key = `sweep-${randomUUID()}`;
    const send = (body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${api.url}/api/v1/scheduler/run`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    const first = send({ dry_run: true }, { 'Idempotency-Key': key });
    const workflowId = `hera-wf-sweep/run/${admin.organizationId}`;
    await eventually(async () => expect((await h.system.services.temporal.workflow.getHandle(workflowId).describe()).status.name).toBe('RUNNING'));

    for (const headers of [{}, { 'Idempotency-Key': `other-${randomUUID()}` }] as Array<Record<string, string>>) {
      const busy = await post(admin, '/api/v1/scheduler/run', { dry_run: true }, headers);
      expect(busy.status).toBe(409);
      expect(busy.body.error).toMatchObject({ code: 'SWEEP_RUNNING', details: { workflow_id: workflowId, started_at: expect.any(String) } });
    }
    const reused = await post(admin, '/api/v1/scheduler/run', { dry_run: false }, { 'Idempotency-Key': key });
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    // Another organization's sweep is not held up.
    const elsewhere = await h.member((await h.organization()).id, ['admin']);
    expect((await post(elsewhere, '/api/v1/scheduler/run', { dry_run: true })).status).toBe(200);

    const joined = send({ dry_run: true }, { 'Idempotency-Key': key });
    worker = childWorker(h.env.databaseUrl, taskQueue);
    await worker.running;
    const [a, b] = await Promise.all([first, joined]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const [reportA, reportB] = (await Promise.all([a.json(), b.json()])) as any[];
    expect(reportB.scheduler_run_id).toBe(reportA.scheduler_run_id);
    expect(reportA.workflow_id).toBe(workflowId);
    expect(b.headers.get('idempotent-replayed')).toBe('true');

    // Once it has finished the next request runs anew.
    const next = await post(admin, '/api/v1/scheduler/run', { dry_run: true });
    expect(next.status).toBe(200);
    expect(next.body.scheduler_run_id).not.toBe(reportA.scheduler_run_id);
  } finally {
    await worker?.kill();
    await api.close();
  }
}, 90_000);
