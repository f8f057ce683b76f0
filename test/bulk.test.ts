import { bulkWorkflowId } from '../src/workflows/bulkContract';
import { eventually } from './support/eventually';
import { startHarness, type Harness, type Member } from './support/harness';

let h: Harness;
let admin: Member;
let user: Member;

beforeAll(async () => {
  h = await startHarness();
  const org = (await h.organization()).id;
  [admin, user] = await Promise.all([h.member(org, ['admin', 'user']), h.member(org, ['user'])]);
});
afterAll(() => h.close());

const post = (member: Member, path: string, body: unknown = {}, headers: Record<string, string> = {}) => h.request('POST', path, { token: member.token, body, headers });
const get = (path: string) => h.request('GET', path, { token: admin.token });
const rows = (text: string, values: unknown[]) =>
  h.system.services.db.withOrg(admin.organizationId, async (sql) => (await sql.query(text, values)).rows);

/** `n` ACTIVE instances, started 16 at a time; answers their ids and a moment just before the first. */
async function instances(n: number): Promise<{ ids: string[]; since: string }> {
  const since = new Date(Date.now() - 1).toISOString();
  const ids: string[] = [];
  for (let i = 0; i < n; i += 16) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(16, n - i) }, () => post(user, '/api/v1/workflows', { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE' })),
    );
    for (const res of batch) {
      expect(res.status).toBe(201);
      ids.push(res.body.instance_id);
    }
  }
  return { ids, since };
}

/** Polls the job until it has ended (bounded by `timeoutMs`). */
const ended = (jobId: string, timeoutMs = 60_000) =>
  eventually(async () => {
    const job = await get(`/api/v1/bulk/${jobId}`);
    expect(['completed', 'cancelled', 'failed']).toContain(job.body.status);
    return job.body;
  }, timeoutMs, 250);

test('a dry run counts exactly the filter\'s instances and what the operation would skip, and changes nothing', async () => {
  const { ids, since } = await instances(6);
  expect((await post(admin, `/api/v1/workflows/${ids[0]}/pause`, { reason: 'already' })).status).toBe(200);
  const dry = await post(admin, '/api/v1/bulk/pause', { filter: { created_after: since }, reason: 'vendor outage', dry_run: true });
  expect(dry.status).toBe(200);
  expect(dry.body).toEqual({ matched: 6, sample: expect.any(Array), would_skip: { INSTANCE_ALREADY_PAUSED: 1 } });
  expect([...dry.body.sample].sort()).toEqual([...ids].sort());
  const capped = await post(admin, '/api/v1/bulk/resume', { filter: { created_after: since }, reason: 'x', dry_run: true, max_instances: 4 });
  expect(capped.body).toMatchObject({ matched: 4, would_skip: { INSTANCE_NOT_PAUSED: 3 } });
  const byIds = await post(admin, '/api/v1/bulk/pause', { instance_ids: ids.slice(0, 2), reason: 'x', dry_run: true });
  expect(byIds.body).toMatchObject({ matched: 2, would_skip: { INSTANCE_ALREADY_PAUSED: 1 } });
  expect(await rows('select count(*)::int as n from wf_instances_view where created_at >= $1 and paused', [since])).toEqual([{ n: 1 }]);
});

test('a bulk pause of 200 instances pauses each once, audited with the job; a second identical job skips all 200', async () => {
  const { ids, since } = await instances(200);
  const body = { filter: { created_after: since, definition_code: 'TEST_ADMIN_WORKFLOW' }, reason: 'vendor outage' };
  const accepted = await post(admin, '/api/v1/bulk/pause', body);
  expect(accepted.status).toBe(202);
  expect(accepted.body).toEqual({ job_id: expect.any(String), matched: 200 });
  const jobId = accepted.body.job_id;
  const job = await ended(jobId);
  expect(job).toMatchObject({ job_id: jobId, operation: 'pause', status: 'completed', matched: 200, done: 200, skipped: {}, failed: {}, not_attempted: 0, errors: [] });
  expect(job.started_at).toEqual(expect.any(String));
  expect(job.finished_at).toEqual(expect.any(String));

  const steps = await rows(`select instance_id, count(*)::int as n from wf_steps_view where instance_id = any($1::uuid[]) and note = 'PAUSE' group by instance_id`, [ids]);
  expect(steps).toHaveLength(200);
  expect(steps.every((s) => s.n === 1)).toBe(true);
  const audits = await rows(`select instance_id, source, bulk_job_id, procedure_code, reason from wf_audit_view where bulk_job_id = $1`, [jobId]);
  expect(audits).toHaveLength(200);
  expect(new Set(audits.map((a) => a.instance_id)).size).toBe(200);
  expect(audits[0]).toMatchObject({ source: 'bulk', bulk_job_id: jobId, procedure_code: 'HERA.UNIV.WF.INSTANCE.PAUSE.V1', reason: 'vendor outage' });

  const again = await post(admin, '/api/v1/bulk/pause', body);
  expect(again.status).toBe(202);
  const second = await ended(again.body.job_id);
  expect(second).toMatchObject({ status: 'completed', matched: 200, done: 0, skipped: { INSTANCE_ALREADY_PAUSED: 200 }, failed: {} });
  const skippedItems = await get(`/api/v1/bulk/${again.body.job_id}/items?outcome=skipped&limit=500`);
  expect(skippedItems.body.items).toHaveLength(200);
  expect(skippedItems.body.items[0]).toMatchObject({ outcome: 'skipped', code: 'INSTANCE_ALREADY_PAUSED', line_number: 1 });

  // The Temporal UI shows the job by its summary and its progress in the current details.
  const handle = h.system.services.temporal.workflow.getHandle(bulkWorkflowId(admin.organizationId, jobId));
  expect(await (await handle.describe()).staticSummary()).toBe('bulk pause · instances by filter · vendor outage');
  const metadata = await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata');
  expect(metadata.currentDetails).toContain('**Bulk pause:** completed · 200 of 200 instances (100 %)');
}, 180_000);
