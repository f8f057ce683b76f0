import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { instanceWorkflowId } from '../src/temporal/ids';
import { eventually, until } from './support/eventually';
import { startHarness, type Harness, type Member } from './support/harness';

let h: Harness;
let admin: Member;
let user: Member;
let manager: Member;

beforeAll(async () => {
  h = await startHarness();
  const org = (await h.organization()).id;
  [admin, user, manager] = await Promise.all([h.member(org, ['admin', 'user']), h.member(org, ['user']), h.member(org, ['manager', 'user'])]);
});
afterAll(() => h.close());

const post = (member: Member, path: string, body: unknown = {}) => h.request('POST', path, { token: member.token, body });
const rows = (text: string, values: unknown[]) =>
  h.system.services.db.withOrg(admin.organizationId, async (sql) => (await sql.query(text, values)).rows);
const view = async (id: string) => (await rows('select * from wf_instances_view where instance_id = $1', [id]))[0];
const notes = async (id: string) =>
  (await rows(`select note from wf_steps_view where instance_id = $1 and note is not null and note <> 'START' order by line_number`, [id])).map((r) => r.note);

async function activeInstance(body: Record<string, unknown> = {}) {
  const res = await post(user, '/api/v1/workflows', { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE', ...body });
  expect(res.status).toBe(201);
  return res.body.instance_id as string;
}

test('pause and resume (scenarios 13, 24): paused everywhere, no advance while paused, step notes written', async () => {
  const id = await activeInstance();
  const paused = await post(admin, `/api/v1/workflows/${id}/pause`, { reason: 'Testing pause functionality' });
  expect(paused).toMatchObject({ status: 200, body: { instance_id: id, paused: true, pause_reason: 'Testing pause functionality', paused_by: admin.userId } });
  expect(await view(id)).toMatchObject({ paused: true });
  const detail = await h.request('GET', `/api/v1/workflows/${id}?include_steps=false`, { token: user.token });
  expect(detail.body.instance).toMatchObject({ paused: true, pause_reason: 'Testing pause functionality', paused_by: admin.userId, paused_at: paused.body.paused_at });
  const handle = h.system.services.temporal.workflow.getHandle(instanceWorkflowId(admin.organizationId, id));
  expect((await handle.describe()).searchAttributes).toMatchObject({ HeraPaused: [true] });
  for (const who of [user, admin]) {
    const blocked = await post(who, `/api/v1/workflows/${id}/advance`, { to_state: who === admin ? 'ON_HOLD' : 'COMPLETED' });
    expect(blocked.status).toBe(409);
    expect(blocked.body.error.code).toBe('INSTANCE_PAUSED');
  }
  const twice = await post(admin, `/api/v1/workflows/${id}/pause`);
  expect(twice.status).toBe(409);
  expect(twice.body.error.code).toBe('INSTANCE_ALREADY_PAUSED');

  const resumed = await post(admin, `/api/v1/workflows/${id}/resume`, { notes: 'Testing resume functionality' });
  expect(resumed).toMatchObject({ status: 200, body: { paused: false, resumed_by: admin.userId } });
  expect(await view(id)).toMatchObject({ paused: false, paused_at: null, pause_reason: null, paused_by: null });
  expect((await post(admin, `/api/v1/workflows/${id}/resume`)).body.error.code).toBe('INSTANCE_NOT_PAUSED');
  expect((await post(user, `/api/v1/workflows/${id}/advance`, { to_state: 'COMPLETED' })).status).toBe(200);
  expect(await notes(id)).toEqual(['PAUSE', 'RESUME']);
});

test('ten concurrent pauses: one 200, nine 409, one PAUSE step', async () => {
  const id = await activeInstance();
  const results = await Promise.all(Array.from({ length: 10 }, () => post(admin, `/api/v1/workflows/${id}/pause`, { reason: 'race' })));
  expect(results.filter((r) => r.status === 200)).toHaveLength(1);
  expect(results.filter((r) => r.status === 409 && r.body.error.code === 'INSTANCE_ALREADY_PAUSED')).toHaveLength(9);
  expect(await notes(id)).toEqual(['PAUSE']);
});

test('a 5 s timer paused at 2 s and resumed after its due time fires once, with the 3 s it had left', async () => {
  const id = await activeInstance();
  const timer = await post(admin, `/api/v1/workflows/${id}/timers`, {
    name: 'frozen',
    duration: 'PT5S',
    on_fire: { create_task: { title: 'Thawed', assignee_role: 'user' } },
  });
  expect(timer.status).toBe(200);
  const dueAt = Date.parse(timer.body.fire_at);
  await until(dueAt - 3000);
  const paused = await post(admin, `/api/v1/workflows/${id}/pause`, { reason: 'freeze' });
  expect(paused.status).toBe(200);
  const pausedAt = Date.parse(paused.body.paused_at);
  expect(pausedAt).toBeLessThan(dueAt);
  // Only the pause keeps it from firing now: wait past its due time (and a margin for a wrong fire to show).
  await until(dueAt + 1000);
  const [frozen] = await rows('select timer_status, fire_at from wf_timers_view where timer_id = $1', [timer.body.timer_id]);
  expect(frozen).toEqual({ timer_status: 'PENDING', fire_at: new Date(dueAt) });
  const fire = await post(admin, `/api/v1/workflows/${id}/timers/${timer.body.timer_id}/fire`);
  expect(fire.status).toBe(409);
  expect(fire.body.error.code).toBe('INSTANCE_PAUSED');

  const resumed = await post(admin, `/api/v1/workflows/${id}/resume`);
  expect(resumed.status).toBe(200);
  const resumedAt = Date.parse(resumed.body.resumed_at);
  expect(resumedAt).toBeGreaterThan(dueAt);
  expect(resumed.body.pause_duration_seconds).toBe((resumedAt - pausedAt) / 1000);
  // The deadline moves by exactly the paused time: it fires (dueAt - pausedAt) after the resume.
  const rearmedAt = dueAt + (resumedAt - pausedAt);
  expect(resumed.body.timers_rearmed).toEqual([{ timer_id: timer.body.timer_id, name: 'frozen', fire_at: new Date(rearmedAt).toISOString() }]);
  const [stored] = await rows('select fire_at from wf_timers_view where timer_id = $1', [timer.body.timer_id]);
  expect(stored.fire_at).toEqual(new Date(rearmedAt));
  const fired = await eventually(async () => {
    const [row] = await rows('select timer_status, fired_at from wf_timers_view where timer_id = $1', [timer.body.timer_id]);
    expect(row.timer_status).toBe('FIRED');
    return row;
  }, rearmedAt - Date.now() + 30_000);
  expect(fired.fired_at.getTime()).toBeGreaterThanOrEqual(rearmedAt);
  const tasks = await rows(`select count(*)::int as n from wf_tasks_view where instance_id = $1 and title = 'Thawed'`, [id]);
  expect(tasks).toEqual([{ n: 1 }]);
}, 60_000);

test('the SLA moves later by the paused time; recalc = created + hours + paused (scenario 17)', async () => {
  const id = await activeInstance();
  const before = await view(id);
  const paused = await post(admin, `/api/v1/workflows/${id}/pause`);
  expect(paused.status).toBe(200);
  const resumed = await post(admin, `/api/v1/workflows/${id}/resume`);
  expect(resumed.status).toBe(200);
  const pausedMs = Date.parse(resumed.body.resumed_at) - Date.parse(paused.body.paused_at);
  expect(pausedMs).toBeGreaterThan(0);
  expect(resumed.body.pause_duration_seconds).toBe(pausedMs / 1000);
  const after = await view(id);
  expect(after.sla_at.getTime() - before.sla_at.getTime()).toBe(pausedMs);
  expect(resumed.body.sla_at).toBe(after.sla_at.toISOString());

  const recalc = await post(admin, `/api/v1/workflows/${id}/sla-recalc`, { sla_override_hours: 48, recalc_reason: 'customer asked' });
  expect(recalc.status).toBe(200);
  expect(recalc.body.pause_time_hours).toBe(pausedMs / 3_600_000);
  expect(Date.parse(recalc.body.new_sla_at)).toBe(after.created_at.getTime() + 48 * 3_600_000 + pausedMs);
  expect(Date.parse(recalc.body.new_sla_at)).toBeGreaterThan(Date.parse(recalc.body.previous_sla_at));
  expect(await notes(id)).toEqual(['PAUSE', 'RESUME', 'SLA_RECALC']);

  const noSla = await post(user, '/api/v1/workflows', { definition_code: 'APPT_FOLLOWUP' });
  const refused = await post(admin, `/api/v1/workflows/${noSla.body.instance_id}/sla-recalc`);
  expect(refused.status).toBe(400);
  expect(refused.body.error.code).toBe('NO_SLA_RULES');
});

test('reassign (scenario 14): a team, then a user; exactly one, and both must exist', async () => {
  expect((await h.request('PUT', '/api/v1/teams/operations', { token: admin.token, body: { name: 'Operations' } })).status).toBe(200);
  expect((await h.request('PUT', `/api/v1/users/${manager.userId}`, { token: admin.token, body: { name: 'M', roles: ['manager'] } })).status).toBe(200);
  const id = await activeInstance();
  const toTeam = await post(admin, `/api/v1/workflows/${id}/reassign`, { owner_team: 'operations', reason: 'escalated' });
  expect(toTeam.body).toMatchObject({ owner_team: 'operations', owner_user_id: null, reassigned_by: admin.userId });
  const toUser = await post(admin, `/api/v1/workflows/${id}/reassign`, { owner_user_id: manager.userId });
  expect(toUser.body).toMatchObject({ owner_team: null, owner_user_id: manager.userId });
  expect(await view(id)).toMatchObject({ owner_team: null, owner_user_id: manager.userId });
  expect((await post(admin, `/api/v1/workflows/${id}/reassign`, { owner_team: 'operations', owner_user_id: manager.userId })).body.error.code).toBe('INVALID_OWNER_ASSIGNMENT');
  expect((await post(admin, `/api/v1/workflows/${id}/reassign`, { owner_team: 'nowhere' })).body.error.code).toBe('TEAM_NOT_FOUND');
  expect((await post(admin, `/api/v1/workflows/${id}/reassign`, { owner_user_id: randomUUID() })).body.error.code).toBe('USER_NOT_FOUND');
  const handle = h.system.services.temporal.workflow.getHandle(instanceWorkflowId(admin.organizationId, id));
  expect((await handle.describe()).searchAttributes).toMatchObject({ HeraOwner: [manager.userId] });
});

test('task reassign (scenario 16): to a role, to a person; a claimed task reopens; only admin or assignee', async () => {
  const id = await activeInstance();
  const created = await post(manager, `/api/v1/workflows/${id}/tasks`, { title: 'Test Task for Reassignment', assignee_role: 'user' });
  const taskId = created.body.task_id;
  expect((await post(user, `/api/v1/tasks/${taskId}/claim`)).status).toBe(200);
  const toRole = await post(admin, `/api/v1/tasks/${taskId}/reassign`, { assignee_role: 'manager' });
  expect(toRole.body).toMatchObject({ assignee_role: 'manager', assignee_user_id: null, task_state: 'OPEN' });
  const toPerson = await post(admin, `/api/v1/tasks/${taskId}/reassign`, { assignee_user_id: manager.userId });
  expect(toPerson.body).toMatchObject({ assignee_user_id: manager.userId, assignee_role: null });
  const denied = await post(user, `/api/v1/tasks/${taskId}/reassign`, { assignee_role: 'admin' });
  expect(denied.status).toBe(403);
  expect(denied.body.error.code).toBe('PERMISSION_DENIED');
  expect((await post(admin, `/api/v1/tasks/${taskId}/reassign`, { assignee_role: 'astronaut' })).body.error.code).toBe('ROLE_NOT_FOUND');
  expect((await post(admin, `/api/v1/tasks/${taskId}/reassign`, {})).body.error.code).toBe('INVALID_ASSIGNEE');
  expect(await notes(id)).toEqual(['TASK_REASSIGN', 'TASK_REASSIGN']);
});

test('pause from the Temporal UI (a signal) lands in the read model and the audit like an API pause', async () => {
  const id = await activeInstance();
  const handle = h.system.services.temporal.workflow.getHandle(instanceWorkflowId(admin.organizationId, id));
  await handle.signal('pause', { actor: 'ops-alice', reason: 'from the UI' });
  await eventually(async () => expect(await view(id)).toMatchObject({ paused: true }));
  await handle.signal('pause', { actor: 'ops-bob', reason: 'again' });
  const events = await eventually(async () => {
    const res = await h.request('GET', `/api/v1/audit?instance_id=${id}`, { token: admin.token });
    expect(res.body.events).toHaveLength(2);
    return res.body.events;
  });
  expect(events).toEqual([
    expect.objectContaining({ procedure_code: 'HERA.UNIV.WF.INSTANCE.PAUSE.V1', outcome: 'REFUSED', error_code: 'INSTANCE_ALREADY_PAUSED', actor: 'ops-bob', source: 'signal' }),
    expect.objectContaining({ procedure_code: 'HERA.UNIV.WF.INSTANCE.PAUSE.V1', outcome: 'SUCCESS', actor: 'ops-alice', reason: 'from the UI', source: 'signal' }),
  ]);
  const resumed = await post(admin, `/api/v1/workflows/${id}/resume`);
  expect(resumed.status).toBe(200);
});

test('permissions and isolation (scenarios 26, 27); every admin call is audited, success or refusal', async () => {
  const id = await activeInstance();
  const denied = await post(user, `/api/v1/workflows/${id}/pause`);
  expect(denied.status).toBe(403);
  expect(denied.body.error.code).toBe('PERMISSION_DENIED');
  const stranger = await h.member((await h.organization()).id, ['admin']);
  const foreign = await post(stranger, `/api/v1/workflows/${id}/pause`);
  expect(foreign.status).toBe(404);
  expect(foreign.body.error.code).toBe('INSTANCE_NOT_FOUND');
  expect((await post(admin, `/api/v1/workflows/${id}/pause`, { reason: 'audit me' })).status).toBe(200);

  const audit = await h.request('GET', `/api/v1/audit?instance_id=${id}`, { token: admin.token });
  expect(audit.body.events).toEqual([
    expect.objectContaining({ outcome: 'SUCCESS', actor_user_id: admin.userId, reason: 'audit me', source: 'api', correlation_id: expect.any(String) }),
    expect.objectContaining({ outcome: 'REFUSED', error_code: 'PERMISSION_DENIED', actor_user_id: user.userId }),
  ]);
  const theirs = await h.request('GET', `/api/v1/audit?instance_id=${id}`, { token: stranger.token });
  expect(theirs.body.events).toEqual([expect.objectContaining({ error_code: 'INSTANCE_NOT_FOUND' })]);
  expect((await h.request('GET', '/api/v1/audit', { token: user.token })).status).toBe(403);
});

describe('effect retry (scenario 15)', () => {
  let server: http.Server;
  let failing = true;
  const keys: string[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      keys.push(String(req.headers['idempotency-key']));
      req.resume();
      res.writeHead(failing ? 500 : 204).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  test('re-runs only the failed effects with the same idempotency key, also after the instance finished', async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const registered = await post(admin, '/api/v1/definitions', {
      code: 'RETRY_ME',
      states: ['OPEN', 'MIDDLE', 'DONE'],
      transitions: [
        { from: 'OPEN', to: 'MIDDLE', by: ['user'], effects: [{ code: 'HERA.UNIV.WF.EFFECT.WEBHOOK.v1', with: { url } }, 'HERA.UNIV.WF.EFFECT.LOG.v1'] },
        { from: 'MIDDLE', to: 'DONE', by: ['user'], effects: [{ code: 'HERA.UNIV.WF.EFFECT.WEBHOOK.v1', with: { url } }] },
      ],
      effect_retry: { max_attempts: 1 },
    });
    expect(registered.status).toBe(201);
    const id = (await post(user, '/api/v1/workflows', { definition_code: 'RETRY_ME' })).body.instance_id;
    const middle = await post(user, `/api/v1/workflows/${id}/advance`, { to_state: 'MIDDLE' });
    const failedIn = (stepId: string) =>
      eventually(async () => {
        const [step] = await rows('select effects_failed from wf_steps_view where step_id = $1', [stepId]);
        expect(step.effects_failed).toEqual(['HERA.UNIV.WF.EFFECT.WEBHOOK.v1']);
      });
    await failedIn(middle.body.step_id);
    const nothing = await post(admin, `/api/v1/workflows/${id}/retry-effects`, { step_id: middle.body.step_id, effect_filter: ['HERA.UNIV.WF.EFFECT.LOG.v1'] });
    expect(nothing.status).toBe(400);
    expect(nothing.body.error.code).toBe('NO_FAILED_EFFECTS');

    // The failed run made exactly one request (max_attempts 1); the retry makes one more, under the same key.
    expect(keys).toHaveLength(1);
    failing = false;
    const running = await post(admin, `/api/v1/workflows/${id}/retry-effects`, { step_id: middle.body.step_id });
    expect(running).toMatchObject({
      status: 200,
      body: { effects_retried: ['HERA.UNIV.WF.EFFECT.WEBHOOK.v1'], effects_successful: ['HERA.UNIV.WF.EFFECT.WEBHOOK.v1'], effects_still_failed: [] },
    });
    expect(keys).toEqual([keys[0], keys[0]]);
    expect(keys[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    failing = true;
    const done = await post(user, `/api/v1/workflows/${id}/advance`, { to_state: 'DONE' });
    await failedIn(done.body.step_id);
    expect(keys).toHaveLength(3);
    const doneKey = keys[2];
    expect(doneKey).not.toBe(keys[0]);
    const handle = h.system.services.temporal.workflow.getHandle(instanceWorkflowId(admin.organizationId, id));
    await eventually(async () => expect((await handle.describe()).status.name).toBe('COMPLETED'));
    failing = false;
    const afterEnd = await post(admin, `/api/v1/workflows/${id}/retry-effects`, { step_id: done.body.step_id });
    expect(afterEnd.status).toBe(200);
    expect(afterEnd.body).toMatchObject({ effects_successful: ['HERA.UNIV.WF.EFFECT.WEBHOOK.v1'], retry_summary: { total_attempted: 1, total_successful: 1, total_failed: 0 } });
    expect(keys.slice(3)).toEqual([doneKey]);
    const [step] = await rows('select effects_failed from wf_steps_view where step_id = $1', [done.body.step_id]);
    expect(step.effects_failed).toEqual([]);
    const effects = await rows(`select effect_status from wf_effects_view where instance_id = $1`, [id]);
    expect(effects.map((e) => e.effect_status).sort()).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    const unknownStep = await post(admin, `/api/v1/workflows/${id}/retry-effects`, { step_id: randomUUID() });
    expect(unknownStep.body.error.code).toBe('STEP_NOT_FOUND');
  });
});

test('operator commands repeated with their Idempotency-Key answer the first outcome; a new key meets the state as it is', async () => {
  const id = await activeInstance();
  const keyed = (path: string, body: unknown, key: string) => h.request('POST', path, { token: admin.token, body, headers: { 'Idempotency-Key': key } });
  const pauseKey = `pause-${randomUUID()}`;
  const paused = await keyed(`/api/v1/workflows/${id}/pause`, { reason: 'vendor outage' }, pauseKey);
  expect(paused.status).toBe(200);
  // A client whose answer was lost retries: the same answer, not 409 INSTANCE_ALREADY_PAUSED.
  expect(await keyed(`/api/v1/workflows/${id}/pause`, { reason: 'vendor outage' }, pauseKey)).toMatchObject({ status: 200, body: paused.body });
  expect((await keyed(`/api/v1/workflows/${id}/pause`, { reason: 'vendor outage' }, `pause-${randomUUID()}`)).body.error.code).toBe('INSTANCE_ALREADY_PAUSED');
  expect((await notes(id)).filter((note) => note === 'PAUSE')).toHaveLength(1);
  const resumeKey = `resume-${randomUUID()}`;
  const resumed = await keyed(`/api/v1/workflows/${id}/resume`, {}, resumeKey);
  expect(resumed.status).toBe(200);
  expect(await keyed(`/api/v1/workflows/${id}/resume`, {}, resumeKey)).toMatchObject({ status: 200, body: resumed.body });
});
