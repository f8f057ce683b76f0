import { instanceWorkflowId } from '../src/temporal/ids';
import { bulkWorkflowId } from '../src/workflows/bulkContract';
import { eventually } from './support/eventually';
import { startHarness, type Harness, type Member, type SecondApi } from './support/harness';
import { childWorker, forgetStickyWorker, pollersOn, type ChildWorker } from './support/worker';

// Bulk jobs on workers of their own: a slow one (5 instances a second) to cancel and kill mid-job, and one that
// goes away to make items fail.

let h: Harness;
let admin: Member;
let api: SecondApi;
let worker: ChildWorker;
const taskQueue = `bulk-slow-${Date.now()}`;
const slow = { HERA_BULK_RATE: '5', HERA_COMMAND_TIMEOUT_MS: '3000' };

beforeAll(async () => {
  h = await startHarness();
  admin = await h.member((await h.organization()).id, ['admin', 'user']);
  worker = childWorker(h.env.databaseUrl, taskQueue, slow);
  await worker.running;
  await pollersOn(h.system.services.temporal, taskQueue);
  api = await h.apiWith({ HERA_TASK_QUEUE: taskQueue });
}, 120_000);
afterAll(async () => {
  await api?.close();
  await worker?.kill();
  await h?.close();
});

const get = async (path: string) => (await h.request('GET', path, { token: admin.token })).body;
const rows = (text: string, values: unknown[]) =>
  h.system.services.db.withOrg(admin.organizationId, async (sql) => (await sql.query(text, values)).rows);

async function instances(through: SecondApi, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 10) {
    const batch = await Promise.all(Array.from({ length: Math.min(10, n - i) }, () => through.call(admin, '/api/v1/workflows', { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE' })));
    for (const res of batch) {
      expect(res.status).toBe(201);
      ids.push(res.body.instance_id);
    }
  }
  return ids;
}

const ended = (jobId: string, timeoutMs = 90_000) =>
  eventually(async () => {
    const job = await get(`/api/v1/bulk/${jobId}`);
    expect(['completed', 'cancelled', 'failed']).toContain(job.status);
    return job;
  }, timeoutMs, 250);

const pauseSteps = (ids: string[]) =>
  rows(`select instance_id, count(*)::int as n from wf_steps_view where instance_id = any($1::uuid[]) and note = 'PAUSE' group by instance_id`, [ids]);

test('progress shows while a batch runs; a cancel mid-job stops it between instances; the counts add up and the rest stay pending; a queued job cancels untouched', async () => {
  const ids = await instances(api, 60);
  const accepted = await api.call(admin, '/api/v1/bulk/pause', { instance_ids: ids, reason: 'to be cancelled' });
  expect(accepted).toMatchObject({ status: 202, body: { matched: 60 } });
  const jobId = accepted.body.job_id;
  // A second job of the organization queues behind it; cancelled there, it never sends anything.
  const queued = await api.call(admin, '/api/v1/bulk/sla-recalc', { instance_ids: ids, params: { sla_override_hours: 12 }, reason: 'queued' });
  expect(queued).toMatchObject({ status: 202, body: { matched: 60 } });
  expect(await get(`/api/v1/bulk/${queued.body.job_id}`)).toMatchObject({ status: 'queued', started_at: null, not_attempted: 60 });
  const dropped = await api.call(admin, `/api/v1/bulk/${queued.body.job_id}/cancel`);
  expect(dropped.body).toMatchObject({ status: 'cancelled', done: 0, not_attempted: 60 });
  // Some instances paused (at 5 a second), far from all; the job's record shows them while its one batch still runs.
  await eventually(async () => expect((await pauseSteps(ids)).length).toBeGreaterThanOrEqual(3), 30_000, 100);
  await eventually(async () => {
    const running = await get(`/api/v1/bulk/${jobId}`);
    expect(running.status).toBe('running');
    expect(running.done).toBeGreaterThan(0);
    expect(running.not_attempted).toBeGreaterThan(0);
  }, 10_000, 200);
  const cancelled = await api.call(admin, `/api/v1/bulk/${jobId}/cancel`, { reason: 'enough' });
  expect(cancelled.status).toBe(200);
  expect(cancelled.body.status).toBe('cancelled');
  const job = await get(`/api/v1/bulk/${jobId}`);
  expect(job.status).toBe('cancelled');
  const skipped = Object.values(job.skipped as Record<string, number>).reduce((a, b) => a + b, 0);
  const failed = Object.values(job.failed as Record<string, number>).reduce((a, b) => a + b, 0);
  expect(job.done + skipped + failed + job.not_attempted).toBe(60);
  expect(job.not_attempted).toBeGreaterThan(0);
  expect(job.done).toBeGreaterThan(0);
  const pending = await get(`/api/v1/bulk/${jobId}/items?outcome=pending&limit=500`);
  expect(pending.items).toHaveLength(job.not_attempted);
  // Nothing is sent after the answer: the paused instances are exactly the items done.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  expect((await pauseSteps(ids)).length).toBe(job.done);
  expect((await api.call(admin, `/api/v1/bulk/${jobId}/cancel`)).body.error.code).toBe('BULK_JOB_FINISHED');
  const recalculated = await rows(`select count(*)::int as n from wf_steps_view where instance_id = any($1::uuid[]) and note = 'SLA_RECALC'`, [ids]);
  expect(recalculated).toEqual([{ n: 0 }]);
}, 120_000);

test('a worker killed mid-job: the next worker finishes it with every instance paused exactly once', async () => {
  const ids = await instances(api, 40);
  const accepted = await api.call(admin, '/api/v1/bulk/pause', { instance_ids: ids, reason: 'through a crash' });
  expect(accepted.status).toBe(202);
  const jobId = accepted.body.job_id;
  await eventually(async () => expect((await pauseSteps(ids)).length).toBeGreaterThanOrEqual(5), 30_000, 100);
  await worker.kill();
  worker = childWorker(h.env.databaseUrl, taskQueue, slow);
  await worker.running;
  await forgetStickyWorker(h.system.services.temporal, [bulkWorkflowId(admin.organizationId, jobId)]);
  const job = await ended(jobId);
  expect(job).toMatchObject({ status: 'completed', matched: 40, done: 40, skipped: {}, failed: {}, not_attempted: 0 });
  const steps = await pauseSteps(ids);
  expect(steps).toHaveLength(40);
  expect(steps.every((s) => s.n === 1)).toBe(true);
  const audits = await rows('select count(*)::int as n, count(distinct instance_id)::int as instances from wf_audit_view where bulk_job_id = $1', [jobId]);
  expect(audits).toEqual([{ n: 40, instances: 40 }]);
}, 180_000);

test('items whose instance does not answer fail with TIMEOUT; retry-failed runs just those once it is back', async () => {
  const awayQueue = `bulk-away-${Date.now()}`;
  let away = childWorker(h.env.databaseUrl, awayQueue);
  const awayApi = await h.apiWith({ HERA_TASK_QUEUE: awayQueue });
  try {
    await away.running;
    const unanswered = await instances(awayApi, 3);
    await away.kill();
    const answered = await instances(api, 2);
    const accepted = await api.call(admin, '/api/v1/bulk/pause', { instance_ids: [...unanswered, ...answered], reason: 'some away' });
    const job = await ended(accepted.body.job_id);
    expect(job).toMatchObject({ status: 'completed', matched: 5, done: 2, failed: { TIMEOUT: 3 } });
    expect(job.errors.map((e: { instance_id: string }) => e.instance_id).sort()).toEqual([...unanswered].sort());
    expect(job.errors[0]).toMatchObject({ code: 'TIMEOUT', message: expect.any(String) });

    away = childWorker(h.env.databaseUrl, awayQueue);
    await away.running;
    const workflowIds = unanswered.map((id) => instanceWorkflowId(admin.organizationId, id));
    await forgetStickyWorker(h.system.services.temporal, workflowIds);
    // Back: each instance answers a query again.
    await eventually(() => Promise.all(workflowIds.map((id) => h.system.services.temporal.workflow.getHandle(id).query('snapshot'))), 60_000, 500);
    const retried = await api.call(admin, `/api/v1/bulk/${accepted.body.job_id}/retry-failed`);
    expect(retried).toMatchObject({ status: 202, body: { matched: 3 } });
    const second = await ended(retried.body.job_id);
    expect(second).toMatchObject({ operation: 'pause', status: 'completed', matched: 3, retry_of: accepted.body.job_id });
    // The first attempt's Updates may have reached the instances after all: then they are skipped as already paused.
    expect(second.done + (second.skipped.INSTANCE_ALREADY_PAUSED ?? 0)).toBe(3);
    const steps = await pauseSteps(unanswered);
    expect(steps).toHaveLength(3);
    expect(steps.every((s) => s.n === 1)).toBe(true);
  } finally {
    await away.kill();
    await awayApi.close();
  }
}, 180_000);
