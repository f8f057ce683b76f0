import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
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
  // The first four in creation order (they were started side by side): the paused one may be among them.
  const firstFour = (await rows('select instance_id from wf_instances_view where instance_id = any($1::uuid[]) order by created_at, instance_id limit 4', [ids])).map((r) => r.instance_id);
  expect(capped.body).toMatchObject({ matched: 4, sample: firstFour, would_skip: { INSTANCE_NOT_PAUSED: firstFour.includes(ids[0]) ? 3 : 4 } });
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

test('bad input is 400 naming the field; a non-admin is 403; an unknown job is 404', async () => {
  const { ids } = await instances(1);
  const refused = async (route: string, body: unknown, field: string) => {
    const res = await post(admin, route, body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toContain(field);
  };
  await refused('/api/v1/bulk/explode', { instance_ids: ids, reason: 'x' }, 'operation');
  await refused('/api/v1/bulk/pause', { filter: { colour: 'red' }, reason: 'x' }, 'filter.colour');
  await refused('/api/v1/bulk/pause', { filter: { paused: 'maybe' }, reason: 'x' }, 'filter.paused');
  await refused('/api/v1/bulk/pause', { instance_ids: ids, params: { reason: 5 }, reason: 'x' }, 'params.reason');
  await refused('/api/v1/bulk/pause', { instance_ids: ids, params: { owner_team: 'ops' }, reason: 'x' }, 'params.owner_team');
  await refused('/api/v1/bulk/reassign', { instance_ids: ids, params: {}, reason: 'x' }, 'params.owner_team');
  await refused('/api/v1/bulk/sla-recalc', { instance_ids: ids, params: { sla_override_hours: -1 }, reason: 'x' }, 'params.sla_override_hours');
  await refused('/api/v1/bulk/pause', { filter: {}, instance_ids: ids, reason: 'x' }, 'filter');
  await refused('/api/v1/bulk/pause', { instance_ids: ids }, 'reason');
  await refused('/api/v1/bulk/pause', { instance_ids: ['nope'], reason: 'x' }, 'instance_ids.0');
  await refused('/api/v1/bulk/pause', { instance_ids: ids, reason: 'x', max_instances: 0 }, 'max_instances');

  const denied = await post(user, '/api/v1/bulk/pause', { instance_ids: ids, reason: 'x' });
  expect(denied.status).toBe(403);
  expect(denied.body.error.code).toBe('PERMISSION_DENIED');
  expect((await h.request('GET', '/api/v1/bulk', { token: user.token })).status).toBe(403);
  const missing = '00000000-0000-4000-8000-00000000b0b0';
  expect((await get(`/api/v1/bulk/${missing}`)).body.error.code).toBe('BULK_JOB_NOT_FOUND');
  expect((await post(admin, `/api/v1/bulk/${missing}/cancel`)).status).toBe(404);
  expect((await post(admin, `/api/v1/bulk/${missing}/retry-failed`)).status).toBe(404);
  expect((await get(`/api/v1/bulk/${missing}/items`)).status).toBe(404);
});

test('an Idempotency-Key joins the same job; the same key with another body is 409', async () => {
  const { ids } = await instances(3);
  expect((await h.request('PUT', '/api/v1/teams/finance', { token: admin.token, body: { name: 'Finance' } })).status).toBeLessThan(300);
  const key = `bulk-${Date.now()}`;
  const body = { instance_ids: ids, params: { owner_team: 'finance' }, reason: 'team change' };
  const [first, second] = await Promise.all([
    post(admin, '/api/v1/bulk/reassign', body, { 'Idempotency-Key': key }),
    post(admin, '/api/v1/bulk/reassign', body, { 'Idempotency-Key': key }),
  ]);
  expect(first.status).toBe(202);
  expect(second.status).toBe(202);
  expect(second.body).toEqual(first.body);
  expect(first.body.matched).toBe(3);
  expect((await ended(first.body.job_id)).done).toBe(3);
  const later = await post(admin, '/api/v1/bulk/reassign', body, { 'Idempotency-Key': key });
  expect(later).toMatchObject({ status: 202, body: first.body });
  expect(later.headers.get('idempotent-replayed')).toBe('true');
  const reused = await post(admin, '/api/v1/bulk/reassign', { ...body, reason: 'another' }, { 'Idempotency-Key': key });
  expect(reused.status).toBe(409);
  expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
  const owners = await rows('select owner_team from wf_instances_view where instance_id = any($1::uuid[])', [ids]);
  expect(owners.map((o) => o.owner_team)).toEqual(['finance', 'finance', 'finance']);
  const listed = await get('/api/v1/bulk?operation=reassign');
  expect(listed.body.jobs.map((j: { job_id: string }) => j.job_id)).toContain(first.body.job_id);
});

test('jobs of one organization run one after another, in order; two organizations\' jobs run side by side', async () => {
  const other = await h.member((await h.organization()).id, ['admin', 'user']);
  const { ids } = await instances(80);
  const otherIds: string[] = [];
  for (let i = 0; i < 80; i += 16) {
    const batch = await Promise.all(Array.from({ length: 16 }, () => post(other, '/api/v1/workflows', { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE' })));
    otherIds.push(...batch.map((r) => r.body.instance_id));
  }
  const [a1, a2, b1] = await Promise.all([
    post(admin, '/api/v1/bulk/pause', { instance_ids: ids.slice(0, 40), reason: 'first' }),
    post(admin, '/api/v1/bulk/sla-recalc', { instance_ids: ids.slice(40), params: { sla_override_hours: 48 }, reason: 'second' }),
    post(other, '/api/v1/bulk/pause', { instance_ids: otherIds, reason: 'other org' }),
  ]);
  for (const res of [a1, a2, b1]) expect(res.status).toBe(202);
  const jobA1 = await ended(a1.body.job_id);
  const jobA2 = await ended(a2.body.job_id);
  const jobB1 = await eventually(async () => {
    const job = await h.request('GET', `/api/v1/bulk/${b1.body.job_id}`, { token: other.token });
    expect(job.body.status).toBe('completed');
    return job.body;
  }, 60_000, 250);
  expect([jobA1.done, jobA2.done, jobB1.done]).toEqual([40, 40, 80]);
  // One organization: the later job started only once the earlier had finished. The two POSTs race, so either may
  // have written its record (and taken the turn) first; a running job keeps the turn against an older record.
  const [earlier, later] = [jobA1, jobA2].sort((x, y) => Date.parse(x.started_at) - Date.parse(y.started_at));
  expect(Date.parse(later.started_at)).toBeGreaterThanOrEqual(Date.parse(earlier.finished_at));
  // Two organizations: the other's job did not wait for this one's queue.
  expect(Date.parse(jobB1.started_at)).toBeLessThan(Date.parse(later.finished_at));
  // Another organization's job is not found here.
  expect((await get(`/api/v1/bulk/${b1.body.job_id}`)).status).toBe(404);
}, 180_000);

test('items list by outcome, keyset-paginated', async () => {
  const { ids } = await instances(5);
  await post(admin, `/api/v1/workflows/${ids[1]}/pause`, { reason: 'before' });
  await post(admin, `/api/v1/workflows/${ids[3]}/pause`, { reason: 'before' });
  const accepted = await post(admin, '/api/v1/bulk/resume', { instance_ids: ids, reason: 'after' });
  const job = await ended(accepted.body.job_id);
  expect(job).toMatchObject({ matched: 5, done: 2, skipped: { INSTANCE_NOT_PAUSED: 3 } });
  const seen: number[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 5; page += 1) {
    const res = await get(`/api/v1/bulk/${accepted.body.job_id}/items?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    seen.push(...res.body.items.map((i: { line_number: number }) => i.line_number));
    cursor = res.body.pagination.next_cursor;
    if (!cursor) break;
  }
  expect(seen).toEqual([1, 2, 3, 4, 5]);
  const done = await get(`/api/v1/bulk/${accepted.body.job_id}/items?outcome=done`);
  expect(done.body.items.map((i: { instance_id: string }) => i.instance_id).sort()).toEqual([ids[1], ids[3]].sort());
  expect((await get(`/api/v1/bulk/${accepted.body.job_id}/items?outcome=maybe`)).status).toBe(400);
});

test('a job continues as new past its history limit and carries its progress', async () => {
  const api = await h.apiWith({ HERA_HISTORY_LIMIT: '20', HERA_BULK_BATCH_SIZE: '4' });
  try {
    const { ids } = await instances(24);
    const accepted = await api.call(admin, '/api/v1/bulk/pause', { instance_ids: ids, reason: 'long job' });
    expect(accepted).toMatchObject({ status: 202, body: { matched: 24 } });
    const job = await ended(accepted.body.job_id);
    expect(job).toMatchObject({ status: 'completed', done: 24, not_attempted: 0 });
    // Every run of the job's workflow id: more than one (visibility trails the runs by a moment).
    const workflowId = bulkWorkflowId(admin.organizationId, accepted.body.job_id);
    await eventually(async () => {
      let runs = 0;
      for await (const _run of h.system.services.temporal.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs += 1;
      expect(runs).toBeGreaterThan(1);
    });
  } finally {
    await api.close();
  }
}, 120_000);

/** `hera …` as an operator runs it, against this test's API as `who`. */
function hera(args: string[], who: Member, through?: 'script'): Promise<{ code: number; stdout: string; stderr: string }> {
  // A home of its own: no `hera dev` session of this checkout stands in for the token or the API.
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, HERA_HOME: mkdtempSync(path.join(os.tmpdir(), 'hera-bulk-cli-')), HERA_API_URL: h.api.url, HERA_TOKEN: who.token };
  return new Promise((resolve) => {
    const [file, argv] = through ? ['script', ['-qe', ...args, '/dev/null']] : [process.execPath, [path.join(__dirname, '../bin/hera.js'), ...args]];
    execFile(file, argv, { env, timeout: 90_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code) : 0, stdout, stderr });
    });
  });
}

test('hera bulk pause follows the job to the end (lines, or a bar on a terminal); status, items and list show it', async () => {
  const { ids, since } = await instances(12);
  const dry = await hera(['bulk', 'pause', '--filter', `created_after=${since}`, '--filter', 'paused=false', '--reason', 'cli', '--dry-run', '--json'], admin);
  expect(dry.code).toBe(0);
  expect(JSON.parse(dry.stdout)).toMatchObject({ matched: 12, would_skip: {} });

  const run = await hera(['bulk', 'pause', '--filter', `created_after=${since}`, '--reason', 'from the cli', '--param', 'reason=cli pause'], admin);
  expect(run.code).toBe(0);
  expect(run.stderr).toMatch(/bulk pause [0-9a-f-]{36}: completed 12\/12 · done 12/);
  const jobId = /job_id\s+([0-9a-f-]{36})/.exec(run.stdout)![1];
  const status = await hera(['bulk', 'status', jobId, '--json'], admin);
  expect(JSON.parse(status.stdout)).toMatchObject({ job_id: jobId, status: 'completed', matched: 12, done: 12 });
  const items = await hera(['bulk', 'items', jobId, '--outcome', 'done', '--json'], admin);
  expect(JSON.parse(items.stdout).items.map((i: { instance_id: string }) => i.instance_id).sort()).toEqual([...ids].sort());
  expect((await hera(['bulk', 'list'], admin)).stdout).toContain(jobId);
  const paused = await rows('select pause_reason from wf_instances_view where instance_id = any($1::uuid[])', [ids]);
  expect(paused.every((p) => p.pause_reason === 'cli pause')).toBe(true);

  // On a terminal (a pty from util-linux `script`): a live bar instead of lines.
  const tty = await hera(['-c', `${process.execPath} ${path.join(__dirname, '../bin/hera.js')} bulk resume --ids ${ids.slice(0, 2).join(',')} --reason back`], admin, 'script');
  expect(tty.code).toBe(0);
  expect(tty.stdout).toMatch(/bulk [\u2588\u2591]+ 2\/2 · completed/);
  expect(tty.stdout).not.toContain('bulk resume ');
  const refused = await hera(['bulk', 'pause', '--ids', ids[0], '--reason', 'x'], user);
  expect(refused.code).toBe(3);
  expect(refused.stderr).toContain('PERMISSION_DENIED');
  expect((await hera(['bulk', 'pause', '--reason', 'x'], admin)).code).toBe(2);
}, 120_000);

test('bulk retry-effects retries every step with failed effects, audited with the job; instances without any are skipped', async () => {
  let healthy = false;
  const receiver = http.createServer((req, res) => {
    req.resume();
    res.writeHead(healthy ? 200 : 500).end();
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const code = `BULK_HOOK_${Date.now()}`;
    const definition = {
      code,
      states: ['OPEN', 'SENT', 'DONE'],
      transitions: [
        { from: 'OPEN', to: 'SENT', by: ['user'], effects: [{ code: 'HERA.UNIV.WF.EFFECT.WEBHOOK.v1', with: { url } }] },
        { from: 'SENT', to: 'DONE', by: ['user'] },
      ],
      effect_retry: { max_attempts: 1, initial_interval: 'PT0.1S' },
    };
    expect((await post(admin, '/api/v1/definitions', definition)).status).toBe(201);
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const started = await post(user, '/api/v1/workflows', { definition_code: code });
      ids.push(started.body.instance_id);
      expect((await post(user, `/api/v1/workflows/${started.body.instance_id}/advance`, { to_state: 'SENT' })).status).toBe(200);
    }
    const clean = (await instances(1)).ids[0];
    const failedEffects = () => rows(`select count(*)::int as n from wf_effects_view where instance_id = any($1::uuid[]) and effect_status = 'PERMANENTLY_FAILED'`, [ids]);
    await eventually(async () => expect(await failedEffects()).toEqual([{ n: 3 }]));
    // One instance finished since: its effects are retried all the same.
    expect((await post(user, `/api/v1/workflows/${ids[2]}/advance`, { to_state: 'DONE' })).status).toBe(200);
    healthy = true;

    const selection = { instance_ids: [...ids, clean], reason: 'receiver fixed' };
    const dry = await post(admin, '/api/v1/bulk/retry-effects', { ...selection, dry_run: true });
    expect(dry.body).toMatchObject({ matched: 4, would_skip: { NO_FAILED_EFFECTS: 1 } });
    const accepted = await post(admin, '/api/v1/bulk/retry-effects', { ...selection, params: { effect_filter: ['HERA.UNIV.WF.EFFECT.WEBHOOK.v1'] } });
    expect(accepted.status).toBe(202);
    const job = await ended(accepted.body.job_id);
    expect(job).toMatchObject({ status: 'completed', matched: 4, done: 3, skipped: { NO_FAILED_EFFECTS: 1 }, failed: {} });
    await eventually(async () => expect(await failedEffects()).toEqual([{ n: 0 }]));
    const audited = await rows('select count(*)::int as n from wf_audit_view where bulk_job_id = $1 and procedure_code = $2', [accepted.body.job_id, 'HERA.UNIV.WF.EFFECT.RETRY.V1']);
    // The finished instance retries in a workflow of its own, which writes no step note and so no audit event.
    expect(audited).toEqual([{ n: 2 }]);
  } finally {
    receiver.close();
  }
}, 120_000);

test('bulk move, migrate and cancel: each instance changed once by its single Update, refusals skipped with their code', async () => {
  const flow = (version: number, states: string[]) => ({
    code: 'BULK_FLOW',
    version,
    states,
    transitions: states.slice(1).map((to, i) => ({ from: states[i], to, by: ['user'] })),
    timers: [{ on_enter: 'REVIEW', name: 'reminder', duration: 'PT1H', on_fire: { create_task: { title: 'Remind', assignee_role: 'user' } } }],
  });
  expect((await post(admin, '/api/v1/definitions', flow(1, ['DRAFT', 'REVIEW', 'DONE']))).status).toBe(201);
  const ids: string[] = [];
  for (let i = 0; i < 5; i += 1) ids.push((await post(user, '/api/v1/workflows', { definition_code: 'BULK_FLOW' })).body.instance_id);
  expect((await post(admin, `/api/v1/workflows/${ids[0]}/move`, { to_state: 'REVIEW', reason: 'ahead' })).status).toBe(200);
  const filter = { definition_code: 'BULK_FLOW' };
  const ofFlow = () => rows(`select current_state, definition_version, status, count(*)::int as n from wf_instances_view where definition_code = 'BULK_FLOW' group by 1, 2, 3`, []);

  const moveBody = { filter, params: { to_state: 'REVIEW' }, reason: 'stuck after the outage' };
  expect((await post(admin, '/api/v1/bulk/move', { ...moveBody, dry_run: true })).body).toMatchObject({ matched: 5, would_skip: { ALREADY_IN_STATE: 1 } });
  const moved = await ended((await post(admin, '/api/v1/bulk/move', moveBody)).body.job_id);
  expect(moved).toMatchObject({ status: 'completed', matched: 5, done: 4, skipped: { ALREADY_IN_STATE: 1 }, failed: {} });
  expect(await ofFlow()).toEqual([{ current_state: 'REVIEW', definition_version: 1, status: 'active', n: 5 }]);
  const moves = await rows(`select count(*)::int as n from wf_steps_view where instance_id = any($1::uuid[]) and note = 'MOVE'`, [ids]);
  expect(moves).toEqual([{ n: 5 }]);
  // Every instance holds the reminder of the state it entered, once.
  expect(await rows(`select count(*)::int as n from wf_timers_view where instance_id = any($1::uuid[]) and timer_status = 'PENDING'`, [ids])).toEqual([{ n: 5 }]);

  expect((await post(admin, '/api/v1/definitions', flow(2, ['DRAFT', 'REVIEW', 'APPROVAL', 'DONE']))).status).toBe(201);
  const migrateBody = { filter, params: { to_version: 2 }, reason: 'approval step added' };
  const migrated = await ended((await post(admin, '/api/v1/bulk/migrate', migrateBody)).body.job_id);
  expect(migrated).toMatchObject({ status: 'completed', done: 5, skipped: {}, failed: {} });
  expect(await ofFlow()).toEqual([{ current_state: 'REVIEW', definition_version: 2, status: 'active', n: 5 }]);
  expect((await post(admin, '/api/v1/bulk/migrate', { ...migrateBody, dry_run: true })).body).toMatchObject({ would_skip: { MIGRATION_INVALID: 5 } });
  // Version 2's transition, on a migrated instance.
  expect((await post(user, `/api/v1/workflows/${ids[1]}/advance`, { to_state: 'APPROVAL' })).status).toBe(200);

  const cancelled = await ended((await post(admin, '/api/v1/bulk/cancel', { filter, reason: 'duplicate batch' })).body.job_id);
  expect(cancelled).toMatchObject({ status: 'completed', done: 5, skipped: {}, failed: {} });
  expect(await rows(`select status, count(*)::int as n from wf_instances_view where definition_code = 'BULK_FLOW' group by 1`, [])).toEqual([{ status: 'cancelled', n: 5 }]);
  expect(await rows(`select count(*)::int as n from wf_timers_view where instance_id = any($1::uuid[]) and timer_status = 'PENDING'`, [ids])).toEqual([{ n: 0 }]);
  expect((await post(admin, '/api/v1/bulk/cancel', { filter, reason: 'again', dry_run: true })).body).toMatchObject({ matched: 5, would_skip: { INSTANCE_FINISHED: 5 } });
  const again = await ended((await post(admin, '/api/v1/bulk/cancel', { filter, reason: 'again' })).body.job_id);
  expect(again).toMatchObject({ status: 'completed', done: 0, skipped: { INSTANCE_FINISHED: 5 }, failed: {} });
});
