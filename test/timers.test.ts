import { instanceWorkflowId } from '../src/temporal/ids';
import { eventually } from './support/eventually';
import { startHarness, type Harness, type Member } from './support/harness';

let h: Harness;
let employee: Member;
let manager: Member;
let system: Member;
let admin: Member;

beforeAll(async () => {
  h = await startHarness();
  const org = (await h.organization()).id;
  [employee, manager, system, admin] = await Promise.all([
    h.member(org, ['employee', 'user']),
    h.member(org, ['manager', 'user']),
    h.member(org, ['system']),
    h.member(org, ['admin', 'user']),
  ]);
});
afterAll(() => h.close());

const post = (member: Member, path: string, body: unknown = {}) => h.request('POST', path, { token: member.token, body });
const rows = (text: string, values: unknown[]) =>
  h.system.services.db.withOrg(employee.organizationId, async (sql) => (await sql.query(text, values)).rows);
const timersOf = (instanceId: string) =>
  rows('select timer_id, timer_name, timer_status, fire_at, fired_at from wf_timers_view where instance_id = $1 order by created_at, fire_at', [instanceId]);

async function start(member: Member, body: Record<string, unknown>) {
  const res = await post(member, '/api/v1/workflows', body);
  expect(res.status).toBe(201);
  return res.body.instance_id as string;
}

async function register(definition: Record<string, unknown>) {
  const res = await post(admin, '/api/v1/definitions', definition);
  expect(res.status).toBe(201);
}

test('timer lifecycle (scenario 4): set on state entry, set by API, fired, cancelled, cancelled on exit', async () => {
  const id = await start(employee, { definition_code: 'LEAVE_APPROVAL', context: { days: 1, available_days: 5 } });
  await post(employee, `/api/v1/workflows/${id}/advance`, { to_state: 'SUBMITTED' });
  const review = await post(system, `/api/v1/workflows/${id}/advance`, { to_state: 'MANAGER_REVIEW' });
  expect(review.body.timers_set).toEqual(['manager_review_timeout']);
  const [definitionTimer] = await timersOf(id);
  expect(definitionTimer).toMatchObject({ timer_name: 'manager_review_timeout', timer_status: 'PENDING' });
  expect(definitionTimer.fire_at.getTime() - Date.parse(review.body.transitioned_at)).toBe(1440 * 60_000);

  const reminder = await post(admin, `/api/v1/workflows/${id}/timers`, {
    name: 'reminder',
    duration: 'PT1S',
    on_fire: { create_task: { title: 'Chase the manager', assignee_role: 'manager' } },
  });
  expect(reminder.status).toBe(200);
  expect(reminder.body).toMatchObject({ name: 'reminder', status: 'PENDING' });
  const duplicate = await post(admin, `/api/v1/workflows/${id}/timers`, { name: 'reminder', minutes: 5, on_fire: { escalate_tasks: true } });
  expect(duplicate.status).toBe(409);
  expect(duplicate.body.error.code).toBe('DUPLICATE_TIMER_NAME');

  await eventually(async () => {
    const fired = (await timersOf(id)).find((t) => t.timer_name === 'reminder');
    expect(fired?.timer_status).toBe('FIRED');
  });
  const tasks = await rows('select title from wf_tasks_view where instance_id = $1 order by title', [id]);
  expect(tasks.map((t) => t.title)).toEqual(['Chase the manager', 'Review leave request']);

  const cancel = await post(admin, `/api/v1/workflows/${id}/timers/${definitionTimer.timer_id}/cancel`, { reason: 'not needed' });
  expect(cancel).toMatchObject({
    status: 200,
    body: { instance_id: id, cancelled_count: 1, cancelled_timers: [{ timer_id: definitionTimer.timer_id, name: 'manager_review_timeout' }] },
  });
  const again = await post(admin, `/api/v1/workflows/${id}/timers/${definitionTimer.timer_id}/fire`);
  expect(again.status).toBe(409);
  expect(again.body.error.code).toBe('TIMER_ALREADY_FIRED');

  const parked = await post(admin, `/api/v1/workflows/${id}/timers`, { name: 'parked', minutes: 60, on_fire: { escalate_tasks: true } });
  expect(parked.status).toBe(200);
  // The original route aliases: cancel by name (or all), fire with the timer id in the body.
  const byName = await post(admin, `/api/v1/workflows/${id}/timers/set`, { name: 'by-name', minutes: 60, on_fire: { escalate_tasks: true } });
  expect(byName.status).toBe(200);
  expect((await post(admin, `/api/v1/workflows/${id}/timers/cancel`, { name: 'by-name' })).body).toMatchObject({ cancelled_count: 1, cancelled_timers: [{ name: 'by-name' }] });
  expect((await post(admin, `/api/v1/workflows/${id}/timers/cancel`, { name: 'by-name' })).body.error.code).toBe('TIMER_ALREADY_FIRED');
  expect((await post(admin, `/api/v1/workflows/${id}/timers/fire`, { timer_id: byName.body.timer_id })).body.error.code).toBe('TIMER_ALREADY_FIRED');
  const approved = await post(manager, `/api/v1/workflows/${id}/advance`, { to_state: 'APPROVED' });
  expect(approved.body.timers_cancelled).toEqual(['parked']);
  expect((await timersOf(id)).map((t) => [t.timer_name, t.timer_status])).toEqual([
    ['manager_review_timeout', 'CANCELLED'],
    ['reminder', 'FIRED'],
    ['parked', 'CANCELLED'],
    ['by-name', 'CANCELLED'],
  ]);
});

test('refusals: bad duration, unknown effect, unknown timer, non-admin, finished instance', async () => {
  const id = await start(employee, { definition_code: 'LEAVE_APPROVAL' });
  const noAction = await post(admin, `/api/v1/workflows/${id}/timers`, { minutes: 5, on_fire: {} });
  expect(noAction.status).toBe(400);
  expect(noAction.body.error.code).toBe('VALIDATION_FAILED');
  const tooLong = await post(admin, `/api/v1/workflows/${id}/timers`, { minutes: 50_000, on_fire: { escalate_tasks: true } });
  expect(tooLong.body.error.code).toBe('INVALID_DURATION');
  const badEffect = await post(admin, `/api/v1/workflows/${id}/timers`, { minutes: 5, on_fire: { effect: 'HERA.UNIV.WF.EFFECT.NOPE.v1' } });
  expect(badEffect.body.error.code).toBe('INVALID_EFFECT');
  const unknown = await post(admin, `/api/v1/workflows/${id}/timers/6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b/fire`);
  expect(unknown.status).toBe(404);
  expect(unknown.body.error.code).toBe('TIMER_NOT_FOUND');
  const none = await post(admin, `/api/v1/workflows/${id}/timers/cancel`, {});
  expect(none.status).toBe(404);
  expect(none.body.error.code).toBe('NO_PENDING_TIMERS');
  const denied = await post(employee, `/api/v1/workflows/${id}/timers`, { minutes: 5, on_fire: { escalate_tasks: true } });
  expect(denied.status).toBe(403);
  expect(denied.body.error.code).toBe('PERMISSION_DENIED');
  const finished = await start(employee, { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'COMPLETED' });
  // Read until the instance is finished everywhere (its record and its workflow), then ask once.
  await eventually(async () => {
    const [record] = await rows('select current_state, status from wf_instances_view where instance_id = $1', [finished]);
    expect(record).toEqual({ current_state: 'COMPLETED', status: 'completed' });
    const handle = h.system.services.temporal.workflow.getHandle(instanceWorkflowId(employee.organizationId, finished));
    expect((await handle.describe()).status.name).toBe('COMPLETED');
  });
  const late = await post(admin, `/api/v1/workflows/${finished}/timers`, { minutes: 5, on_fire: { escalate_tasks: true } });
  expect(late.status).toBe(409);
  expect(late.body.error.code).toBe('INSTANCE_FINALIZED');
});

test('APPT_FOLLOWUP (scenario 33): an operator FIRE advances the instance now', async () => {
  const id = await start(system, { definition_code: 'APPT_FOLLOWUP' });
  const pending = await post(system, `/api/v1/workflows/${id}/advance`, { to_state: 'PENDING_SEND' });
  expect(pending.body.timers_set).toEqual(['followup_delay']);
  const [timer] = await timersOf(id);
  const fired = await post(system, `/api/v1/workflows/${id}/timers/${timer.timer_id}/fire`);
  expect(fired.status).toBe(200);
  expect(fired.body).toMatchObject({ status: 'FIRED', execution_result: { instance_advanced: true, advanced_to: 'SENT' } });
  const done = await post(system, `/api/v1/workflows/${id}/advance`, { to_state: 'DONE' });
  expect(done.body).toMatchObject({ from_state: 'SENT', current_state: 'DONE' });
});

test('three concurrent fires of one timer (scenario 9): exactly one fires', async () => {
  const id = await start(system, { definition_code: 'APPT_FOLLOWUP' });
  await post(system, `/api/v1/workflows/${id}/advance`, { to_state: 'PENDING_SEND' });
  const [timer] = await timersOf(id);
  const results = await Promise.all([1, 2, 3].map(() => post(system, `/api/v1/workflows/${id}/timers/${timer.timer_id}/fire`)));
  expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
  for (const refused of results.filter((r) => r.status === 409)) expect(refused.body.error.code).toBe('TIMER_ALREADY_FIRED');
  const steps = await rows('select to_state from wf_steps_view where instance_id = $1 order by line_number', [id]);
  expect(steps.map((s) => s.to_state)).toEqual(['COMPLETED', 'PENDING_SEND', 'SENT']);
});

test('definition timers fire by themselves when due, and only the due ones (scenario 35); a refused action is FAILED', async () => {
  await register({
    code: 'SHORT_TIMERS',
    states: ['WAITING', 'LATE', 'DONE'],
    transitions: [
      { from: 'WAITING', to: 'LATE', by: ['system'] },
      { from: 'LATE', to: 'DONE', by: ['user'] },
      // Allowed to the system, but its guard refuses when the timer fires.
      { from: 'LATE', to: 'WAITING', by: ['system'], guards: [{ code: 'HERA.UNIV.WF.GUARD.CONTEXT.v1', with: { field: 'reopened', op: 'exists' } }] },
    ],
    timers: [
      { on_enter: 'WAITING', name: 'soon', duration: 'PT1S', on_fire: { advance_to: 'LATE' } },
      { on_enter: 'WAITING', name: 'later', duration: 'PT1H', on_fire: { escalate_tasks: true } },
      { on_enter: 'LATE', name: 'nudge', duration: 'PT1S', on_fire: { effect: 'HERA.UNIV.WF.EFFECT.LOG.v1' } },
    ],
  });
  const id = await start(employee, { definition_code: 'SHORT_TIMERS' });
  await eventually(async () => {
    expect((await timersOf(id)).map((t) => [t.timer_name, t.timer_status])).toEqual([
      ['soon', 'FIRED'],
      ['later', 'CANCELLED'],
      ['nudge', 'FIRED'],
    ]);
  });
  // A transition the setter may not take now is refused when the timer is set; one its guard refuses, when it fires.
  const nowhere = await post(admin, `/api/v1/workflows/${id}/timers`, { name: 'nowhere', duration: 'PT0.5S', on_fire: { advance_to: 'WAITING' } });
  expect(nowhere.body.error.code).toBe('UNAUTHORIZED_ROLE');
  const failing = await post(system, `/api/v1/workflows/${id}/timers`, { name: 'guarded', duration: 'PT0.5S', on_fire: { advance_to: 'WAITING' } });
  expect(failing.status).toBe(200);
  await eventually(async () => {
    const [row] = await rows(`select timer_status, (select metadata->'execution_result' from universal_transactions where id = timer_id) as result from wf_timers_view where timer_id = $1`, [failing.body.timer_id]);
    expect(row).toEqual({ timer_status: 'FAILED', result: expect.objectContaining({ error: 'GUARD_FAILED' }) });
  });
  const steps = await rows('select from_state, to_state, actor_role, note, effects_queued from wf_steps_view where instance_id = $1 order by line_number', [id]);
  expect(steps).toEqual([
    expect.objectContaining({ to_state: 'WAITING' }),
    expect.objectContaining({ from_state: 'WAITING', to_state: 'LATE', actor_role: 'system', note: 'TIMER soon' }),
    expect.objectContaining({ note: 'TIMER', effects_queued: ['HERA.UNIV.WF.EFFECT.LOG.v1'] }),
  ]);
});
