import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { instanceWorkflowId } from '../src/temporal/ids';
import { eventually } from './support/eventually';
import { startHarness, type Harness, type Member } from './support/harness';

// Cancel, move and migrate of one instance (issue 16, part 2) against the real system, and their CLI commands.

let h: Harness;
let admin: Member;
let user: Member;
let server: http.Server;
/** Every webhook request the receiver saw: a move must run none of its transition's effects. */
const webhookCalls: string[] = [];

const bin = path.resolve(__dirname, '../bin/hera.js');
const webhook = () => ({ code: 'HERA.UNIV.WF.EFFECT.WEBHOOK.v1', with: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` } });

/** Version 1: a review with a reminder timer and a task, an approval with a deadline and a task; webhooks on the way out. */
const version1 = () => ({
  code: 'MOD_FLOW',
  version: 1,
  states: ['DRAFT', 'REVIEW', 'APPROVAL', 'DONE'],
  transitions: [
    { from: 'DRAFT', to: 'REVIEW', by: ['user'] },
    { from: 'REVIEW', to: 'APPROVAL', by: ['user'], effects: [webhook()] },
    { from: 'APPROVAL', to: 'DONE', by: ['user'], effects: [webhook()] },
  ],
  timers: [
    { on_enter: 'REVIEW', name: 'review_reminder', duration: 'PT1H', on_fire: { create_task: { title: 'Remind', assignee_role: 'user' } } },
    { on_enter: 'APPROVAL', name: 'approval_deadline', duration: 'PT2H', on_fire: { advance_to: 'DONE' } },
  ],
  tasks: [
    { on_enter: 'REVIEW', title: 'Review', assignee_role: 'user' },
    { on_enter: 'APPROVAL', title: 'Approve', assignee_role: 'user' },
  ],
});

/** Version 2: REVIEW is called CHECK (same reminder, no Review task) and may finish directly. */
const version2 = () => ({
  code: 'MOD_FLOW',
  version: 2,
  states: ['DRAFT', 'CHECK', 'APPROVAL', 'DONE'],
  transitions: [
    { from: 'DRAFT', to: 'CHECK', by: ['user'] },
    { from: 'CHECK', to: 'DONE', by: ['user'] },
    { from: 'CHECK', to: 'APPROVAL', by: ['user'] },
    { from: 'APPROVAL', to: 'DONE', by: ['user'] },
  ],
  timers: [{ on_enter: 'CHECK', name: 'review_reminder', duration: 'PT1H', on_fire: { create_task: { title: 'Remind', assignee_role: 'user' } } }],
  tasks: [{ on_enter: 'APPROVAL', title: 'Approve', assignee_role: 'user' }],
});

beforeAll(async () => {
  h = await startHarness();
  const org = (await h.organization()).id;
  [admin, user] = await Promise.all([h.member(org, ['admin', 'manager', 'user']), h.member(org, ['user'])]);
  server = http.createServer((req, res) => {
    webhookCalls.push(req.url ?? '');
    req.resume().on('end', () => res.writeHead(200).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  for (const definition of [version1(), version2()]) {
    const registered = await h.request('POST', '/api/v1/definitions', { token: admin.token, body: definition });
    expect(registered.status).toBe(201);
  }
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await h.close();
});

const post = (member: Member, route: string, body: unknown = {}) => h.request('POST', route, { token: member.token, body });
const rows = (text: string, values: unknown[]) => h.system.services.db.withOrg(admin.organizationId, async (sql) => (await sql.query(text, values)).rows);
const timersOf = (id: string) => rows('select timer_id, timer_name, timer_status, fire_at from wf_timers_view where instance_id = $1 order by created_at, timer_name', [id]);
const tasksOf = (id: string) => rows('select task_id, title, task_state from wf_tasks_view where instance_id = $1 order by created_at, title', [id]);
const effectsOf = (id: string) => rows('select effect_id from wf_effects_view where instance_id = $1', [id]);
const lastStep = async (id: string) =>
  (await rows(`select l.line_data from universal_transaction_lines l join wf_steps_view s on s.step_id = l.id where s.instance_id = $1 order by s.line_number desc limit 1`, [id]))[0]
    .line_data as Record<string, any>;
const instance = async (id: string) => (await h.request('GET', `/api/v1/workflows/${id}?include_steps=false`, { token: admin.token })).body.instance;

/** A new MOD_FLOW instance: in DRAFT of version 2, the newest. */
async function startedV2(): Promise<string> {
  const started = await post(user, '/api/v1/workflows', { definition_code: 'MOD_FLOW' });
  expect(started).toMatchObject({ status: 201, body: { definition_version: 2 } });
  return started.body.instance_id;
}

/** A version 1 instance in REVIEW (its reminder PENDING, its Review task OPEN) with an API task: started on v2 and migrated back. */
async function reviewV1(): Promise<string> {
  const id = await startedV2();
  const back = await post(admin, `/api/v1/workflows/${id}/migrate`, { to_version: 1, reason: 'start on v1' });
  expect(back).toMatchObject({ status: 200, body: { valid: true, from_version: 2, to_version: 1, from_state: 'DRAFT', to_state: 'DRAFT' } });
  expect((await post(user, `/api/v1/workflows/${id}/advance`, { to_state: 'REVIEW' })).status).toBe(200);
  const task = await post(admin, `/api/v1/workflows/${id}/tasks`, { title: 'Extra check', assignee_role: 'user' });
  expect(task.status).toBe(201);
  return id;
}

test('cancel: timers and tasks CANCELLED, a CANCEL line and audit row, status cancelled; later commands 409 INSTANCE_FINISHED', async () => {
  const id = await reviewV1();
  expect(await timersOf(id)).toEqual([expect.objectContaining({ timer_name: 'review_reminder', timer_status: 'PENDING' })]);
  expect((await post(user, `/api/v1/workflows/${id}/cancel`, { reason: 'not mine' })).status).toBe(403);
  const noReason = await post(admin, `/api/v1/workflows/${id}/cancel`, {});
  expect(noReason.status).toBe(400);
  expect(noReason.body.error.details.fields).toEqual([expect.objectContaining({ field: 'reason' })]);

  const cancelled = await post(admin, `/api/v1/workflows/${id}/cancel`, { reason: 'duplicate request' });
  expect(cancelled).toMatchObject({ status: 200, body: { instance_id: id, status: 'cancelled', current_state: 'REVIEW', reason: 'duplicate request', cancelled_by: admin.userId } });
  expect(cancelled.body.timers_cancelled).toHaveLength(1);
  expect(cancelled.body.tasks_cancelled).toHaveLength(2);
  expect((await timersOf(id)).map((t) => t.timer_status)).toEqual(['CANCELLED']);
  expect((await tasksOf(id)).map((t) => t.task_state)).toEqual(['CANCELLED', 'CANCELLED']);
  expect(await lastStep(id)).toMatchObject({ note: 'CANCEL', reason: 'duplicate request', from: 'REVIEW', to: 'REVIEW' });
  expect(await instance(id)).toMatchObject({ status: 'cancelled', current_state: 'REVIEW' });
  const audit = await h.request('GET', `/api/v1/audit?instance_id=${id}`, { token: admin.token });
  expect(audit.body.events).toEqual(
    expect.arrayContaining([expect.objectContaining({ procedure_code: 'HERA.UNIV.WF.INSTANCE.CANCEL.V1', outcome: 'SUCCESS', reason: 'duplicate request', actor_user_id: admin.userId })]),
  );
  // Finished: the run ends; every later command is refused as finished, from the workflow or from the record.
  for (const [member, route, body] of [
    [admin, 'pause', {}],
    [user, 'advance', { to_state: 'APPROVAL' }],
    [admin, 'cancel', { reason: 'again' }],
    [admin, 'move', { to_state: 'APPROVAL', reason: 'again' }],
    [admin, 'migrate', { to_version: 2, state_map: { REVIEW: 'CHECK' } }],
  ] as const) {
    const refused = await post(member, `/api/v1/workflows/${id}/${route}`, body);
    expect({ route, status: refused.status, code: refused.body.error?.code }).toEqual({ route, status: 409, code: 'INSTANCE_FINISHED' });
  }
  const [task] = await tasksOf(id);
  expect((await post(user, `/api/v1/tasks/${task.task_id}/complete`, { outcome: 'done' })).body.error.code).toBe('INSTANCE_FINISHED');
  const listed = await h.request('GET', `/api/v1/tasks?instance_id=${id}&task_state=CANCELLED`, { token: admin.token });
  expect(listed.body.tasks).toHaveLength(2);
  const handle = h.system.services.temporal.workflow.getHandle(instanceWorkflowId(admin.organizationId, id));
  await eventually(async () => expect((await handle.describe()).status.name).toBe('COMPLETED'));
});

test('cancel works on a paused instance; a completed one is INSTANCE_FINALIZED', async () => {
  const id = await reviewV1();
  expect((await post(admin, `/api/v1/workflows/${id}/pause`, { reason: 'hold' })).status).toBe(200);
  expect((await post(admin, `/api/v1/workflows/${id}/cancel`, { reason: 'gave up' })).body).toMatchObject({ status: 'cancelled' });
  const done = await startedV2();
  expect((await post(user, `/api/v1/workflows/${done}/advance`, { to_state: 'CHECK' })).status).toBe(200);
  expect((await post(user, `/api/v1/workflows/${done}/advance`, { to_state: 'DONE' })).status).toBe(200);
  const refused = await post(admin, `/api/v1/workflows/${done}/cancel`, { reason: 'too late' });
  expect(refused).toMatchObject({ status: 409, body: { error: { code: 'INSTANCE_FINALIZED' } } });
});

test('move: the state left loses its timers and tasks, the state entered gets its own, no effect runs, a MOVE line', async () => {
  const id = await reviewV1();
  const before = await tasksOf(id);
  const unknown = await post(admin, `/api/v1/workflows/${id}/move`, { to_state: 'LIMBO', reason: 'test' });
  expect(unknown).toMatchObject({ status: 400, body: { error: { code: 'INVALID_STATE', details: { field: 'to_state', to_state: 'LIMBO' } } } });
  const same = await post(admin, `/api/v1/workflows/${id}/move`, { to_state: 'REVIEW', reason: 'test' });
  expect(same).toMatchObject({ status: 409, body: { error: { code: 'ALREADY_IN_STATE' } } });
  expect((await post(user, `/api/v1/workflows/${id}/move`, { to_state: 'APPROVAL', reason: 'test' })).status).toBe(403);
  const missing = await post(admin, `/api/v1/workflows/${id}/move`, { reason: 'test' });
  expect(missing.status).toBe(400);
  expect(missing.body.error.details.fields).toEqual([expect.objectContaining({ field: 'to_state' })]);

  const moved = await post(admin, `/api/v1/workflows/${id}/move`, { to_state: 'APPROVAL', reason: 'stuck in review' });
  expect(moved).toMatchObject({ status: 200, body: { from_state: 'REVIEW', to_state: 'APPROVAL', status: 'active' } });
  expect(moved.body.tasks_cancelled.sort()).toEqual(before.map((t) => t.task_id).sort());
  expect(await timersOf(id)).toEqual([
    expect.objectContaining({ timer_name: 'review_reminder', timer_status: 'CANCELLED' }),
    expect.objectContaining({ timer_name: 'approval_deadline', timer_status: 'PENDING', timer_id: moved.body.timers_set[0] }),
  ]);
  const tasks = await tasksOf(id);
  expect(tasks.map((t) => [t.title, t.task_state]).sort()).toEqual([
    ['Approve', 'OPEN'],
    ['Extra check', 'CANCELLED'],
    ['Review', 'CANCELLED'],
  ]);
  expect(await lastStep(id)).toMatchObject({ note: 'MOVE', from: 'REVIEW', to: 'APPROVAL', reason: 'stuck in review', effects_queued: [] });
  expect(await instance(id)).toMatchObject({ current_state: 'APPROVAL', status: 'active' });
  // A terminal state completes the instance, still without the transition's webhook.
  const finished = await post(admin, `/api/v1/workflows/${id}/move`, { to_state: 'DONE', reason: 'approved by phone' });
  expect(finished).toMatchObject({ status: 200, body: { to_state: 'DONE', status: 'completed', timers_set: [] } });
  expect((await timersOf(id)).map((t) => t.timer_status)).toEqual(['CANCELLED', 'CANCELLED']);
  expect(await instance(id)).toMatchObject({ current_state: 'DONE', status: 'completed' });
  expect(await effectsOf(id)).toEqual([]);
  expect(webhookCalls).toEqual([]);
  const audit = await h.request('GET', `/api/v1/audit?instance_id=${id}`, { token: admin.token });
  expect(audit.body.events.filter((e: any) => e.procedure_code === 'HERA.UNIV.WF.INSTANCE.MOVE.V1' && e.outcome === 'SUCCESS')).toHaveLength(2);
  expect((await post(admin, `/api/v1/workflows/${id}/move`, { to_state: 'REVIEW', reason: 'reopen' })).body.error.code).toBe('INSTANCE_FINALIZED');
});

test('move of a paused instance: it stays paused, the new state’s timers wait for the resume', async () => {
  const id = await reviewV1();
  expect((await post(admin, `/api/v1/workflows/${id}/pause`, { reason: 'hold' })).status).toBe(200);
  const moved = await post(admin, `/api/v1/workflows/${id}/move`, { to_state: 'APPROVAL', reason: 'while paused' });
  expect(moved.status).toBe(200);
  expect(await instance(id)).toMatchObject({ current_state: 'APPROVAL', paused: true });
  const resumed = await post(admin, `/api/v1/workflows/${id}/resume`, {});
  expect(resumed.status).toBe(200);
  expect(resumed.body.timers_rearmed).toEqual([expect.objectContaining({ name: 'approval_deadline' })]);
});

test('migrate: dry run, invalid plan 409, unknown version 400, a real run to version 2 keeping the timer, advancing by version 2', async () => {
  const id = await reviewV1();
  const apiTimer = await post(admin, `/api/v1/workflows/${id}/timers`, { name: 'custom', duration: 'PT3H', on_fire: { escalate_tasks: true } });
  expect(apiTimer.status).toBe(200);
  const [reminder] = await timersOf(id);

  const unmapped = await post(admin, `/api/v1/workflows/${id}/migrate`, { to_version: 2, dry_run: true });
  expect(unmapped).toMatchObject({ status: 200, body: { valid: false, dry_run: true, from_state: 'REVIEW', to_state: 'REVIEW' } });
  expect(unmapped.body.problems).toEqual([expect.objectContaining({ code: 'STATE_NOT_IN_TARGET' })]);
  const invalid = await post(admin, `/api/v1/workflows/${id}/migrate`, { to_version: 2 });
  expect(invalid).toMatchObject({ status: 409, body: { error: { code: 'MIGRATION_INVALID' } } });
  expect(invalid.body.error.details.problems).toEqual([expect.objectContaining({ code: 'STATE_NOT_IN_TARGET' })]);
  const badMap = await post(admin, `/api/v1/workflows/${id}/migrate`, { to_version: 2, state_map: { REVIEW: 'NOWHERE' }, dry_run: true });
  expect(badMap.body.problems.map((p: any) => p.code).sort()).toEqual(['STATE_NOT_IN_TARGET', 'UNKNOWN_TARGET_STATE']);
  const unknown = await post(admin, `/api/v1/workflows/${id}/migrate`, { to_version: 9 });
  expect(unknown).toMatchObject({ status: 400, body: { error: { code: 'UNKNOWN_VERSION', details: { field: 'to_version' } } } });
  const notNumber = await post(admin, `/api/v1/workflows/${id}/migrate`, { to_version: 'two' });
  expect(notNumber.status).toBe(400);
  expect(notNumber.body.error.details.fields).toEqual([expect.objectContaining({ field: 'to_version' })]);
  expect((await post(user, `/api/v1/workflows/${id}/migrate`, { to_version: 2, dry_run: true })).status).toBe(403);

  const plan = await post(admin, `/api/v1/workflows/${id}/migrate`, { to_version: 2, state_map: { REVIEW: 'CHECK' }, dry_run: true });
  expect(plan).toMatchObject({ status: 200, body: { valid: true, dry_run: true, from_version: 1, to_version: 2, from_state: 'REVIEW', to_state: 'CHECK', problems: [] } });
  expect(plan.body.timers).toEqual([
    { timer_id: reminder.timer_id, name: 'review_reminder', action: 'keep', reason: 'DEFINED_IN_TARGET' },
    { timer_id: apiTimer.body.timer_id, name: 'custom', action: 'keep', reason: 'NOT_FROM_DEFINITION' },
  ]);
  expect(plan.body.tasks.map((t: any) => [t.title, t.action, t.reason])).toEqual([
    ['Review', 'cancel', 'NOT_IN_TARGET'],
    ['Extra check', 'keep', 'NOT_FROM_DEFINITION'],
  ]);
  expect(await instance(id)).toMatchObject({ definition_version: 1, current_state: 'REVIEW' });

  const migrated = await post(admin, `/api/v1/workflows/${id}/migrate`, { to_version: 2, state_map: { REVIEW: 'CHECK' }, reason: 'v2 fixes the flow' });
  expect(migrated).toMatchObject({ status: 200, body: { valid: true, dry_run: false, to_state: 'CHECK', migrated_at: expect.any(String) } });
  expect(await instance(id)).toMatchObject({ definition_version: 2, current_state: 'CHECK', status: 'active' });
  const timers = await timersOf(id);
  expect(timers.map((t) => [t.timer_name, t.timer_status])).toEqual([
    ['review_reminder', 'PENDING'],
    ['custom', 'PENDING'],
  ]);
  expect(timers[0].fire_at.getTime()).toBe(reminder.fire_at.getTime());
  expect((await tasksOf(id)).map((t) => [t.title, t.task_state]).sort()).toEqual([
    ['Extra check', 'OPEN'],
    ['Review', 'CANCELLED'],
  ]);
  expect(await lastStep(id)).toMatchObject({ note: 'MIGRATE', from_version: 1, to_version: 2, from: 'REVIEW', to: 'CHECK', reason: 'v2 fixes the flow' });
  const handle = h.system.services.temporal.workflow.getHandle(instanceWorkflowId(admin.organizationId, id));
  const described = await handle.describe();
  expect(described.searchAttributes).toMatchObject({ HeraState: ['CHECK'], HeraDefinitionVersion: [2] });
  expect(described.memo).toMatchObject({ definition_version: 2 });
  // Version 2's transitions now: CHECK → DONE exists only there.
  const done = await post(user, `/api/v1/workflows/${id}/advance`, { to_state: 'DONE' });
  expect(done).toMatchObject({ status: 200, body: { from_state: 'CHECK', current_state: 'DONE' } });
});

/** Runs `hera ...args --json` as a child process over the harness's API, as `who`. */
function hera(args: string[], who: Member = admin): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, HERA_HOME: mkdtempSync(path.join(os.tmpdir(), 'hera-cli-')), HERA_API_URL: h.api.url, HERA_TOKEN: who.token };
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args, '--json'], { env, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code) : 0, stdout, stderr }),
    );
  });
}

test('hera wf migrate, move and cancel', async () => {
  const id = await reviewV1();
  const plan = await hera(['wf', 'migrate', id, '--to-version', '2', '--map', 'REVIEW=CHECK', '--dry-run']);
  expect(plan).toMatchObject({ code: 0, stderr: '' });
  expect(JSON.parse(plan.stdout)).toMatchObject({ valid: true, dry_run: true, to_state: 'CHECK' });
  const migrated = await hera(['wf', 'migrate', id, '--to-version', '2', '--map', 'REVIEW=CHECK', '--reason', 'cli']);
  expect(JSON.parse(migrated.stdout)).toMatchObject({ dry_run: false, to_version: 2 });
  const refused = await hera(['wf', 'migrate', id, '--to-version', '9']);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain('UNKNOWN_VERSION');
  const moved = await hera(['wf', 'move', id, '--to-state', 'APPROVAL', '--reason', 'cli move']);
  expect(JSON.parse(moved.stdout)).toMatchObject({ from_state: 'CHECK', to_state: 'APPROVAL' });
  expect((await hera(['wf', 'cancel', id])).code).not.toBe(0);
  const cancelled = await hera(['wf', 'cancel', id, '--reason', 'cli cancel']);
  expect(JSON.parse(cancelled.stdout)).toMatchObject({ status: 'cancelled', current_state: 'APPROVAL' });
  const again = await hera(['wf', 'cancel', id, '--reason', 'twice']);
  expect(again.stderr).toContain('INSTANCE_FINISHED');
  const help = await new Promise<string>((resolve) => execFile(process.execPath, [bin, 'wf', 'migrate', '--help'], (_e, stdout) => resolve(stdout)));
  expect(help).toContain('--map <old=new>');
  expect(help).toContain('Example:');
});
