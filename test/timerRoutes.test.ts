import { startHarness, type Harness, type Member } from './support/harness';

// Timer routes (SET, CANCEL, FIRE): another organization's instance is 404, and every call is audited in the
// caller's organization, success or refusal.

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const post = (who: Member, path: string, body: unknown = {}) => h.request('POST', path, { token: who.token, body });
const later = (name: string) => ({ name, minutes: 60, on_fire: { escalate_tasks: true } });
const SET = 'HERA.UNIV.WF.TIMER.SET.V1';
const CANCEL = 'HERA.UNIV.WF.TIMER.CANCEL.V1';
const FIRE = 'HERA.UNIV.WF.TIMER.FIRE.V1';

test('timers of another organization’s instance are 404 on set, cancel and fire, and are left as they were; every call is audited', async () => {
  const [admin, stranger] = await Promise.all(
    [h.organization(), h.organization()].map(async (org) => h.member((await org).id, ['admin', 'system', 'user'])),
  );
  const started = await post(admin, '/api/v1/workflows', { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE' });
  expect(started.status).toBe(201);
  const id = started.body.instance_id;
  const kept = await post(admin, `/api/v1/workflows/${id}/timers`, later('kept'));
  const dropped = await post(admin, `/api/v1/workflows/${id}/timers`, later('dropped'));
  expect([kept.status, dropped.status]).toEqual([200, 200]);
  expect((await post(admin, `/api/v1/workflows/${id}/timers/${dropped.body.timer_id}/cancel`)).status).toBe(200);
  expect((await post(admin, `/api/v1/workflows/${id}/timers/${dropped.body.timer_id}/fire`)).body.error.code).toBe('TIMER_ALREADY_FIRED');

  // The stranger holds every role the routes ask for: only the organization can refuse it.
  const attempts = [
    await post(stranger, `/api/v1/workflows/${id}/timers`, later('theirs')),
    await post(stranger, `/api/v1/workflows/${id}/timers/set`, later('theirs-too')),
    await post(stranger, `/api/v1/workflows/${id}/timers/${kept.body.timer_id}/cancel`),
    await post(stranger, `/api/v1/workflows/${id}/timers/cancel`, {}),
    await post(stranger, `/api/v1/workflows/${id}/timers/${kept.body.timer_id}/fire`),
    await post(stranger, `/api/v1/workflows/${id}/timers/fire`, { timer_id: kept.body.timer_id }),
  ];
  expect(attempts.map((a) => [a.status, a.body.error?.code])).toEqual(Array(6).fill([404, 'INSTANCE_NOT_FOUND']));

  const detail = await h.request('GET', `/api/v1/workflows/${id}?include_timers=true`, { token: admin.token });
  const timers = detail.body.timers.map((t: { timer_name: string; timer_status: string }) => [t.timer_name, t.timer_status]);
  expect(timers.sort()).toEqual([['dropped', 'CANCELLED'], ['kept', 'PENDING']]);

  const audit = async (who: Member, procedureCode: string) => {
    const res = await h.request('GET', `/api/v1/audit?procedure_code=${procedureCode}`, { token: who.token });
    expect(res.status).toBe(200);
    return res.body.events.map((e: Record<string, unknown>) => [e.outcome, e.error_code, e.actor_user_id, e.instance_id]);
  };
  // Newest first, each organization its own calls only.
  expect(await audit(admin, SET)).toEqual([['SUCCESS', null, admin.userId, id], ['SUCCESS', null, admin.userId, id]]);
  expect(await audit(admin, CANCEL)).toEqual([['SUCCESS', null, admin.userId, id]]);
  expect(await audit(admin, FIRE)).toEqual([['REFUSED', 'TIMER_ALREADY_FIRED', admin.userId, id]]);
  const refused = ['REFUSED', 'INSTANCE_NOT_FOUND', stranger.userId, id];
  expect(await audit(stranger, SET)).toEqual([refused, refused]);
  expect(await audit(stranger, CANCEL)).toEqual([refused, refused]);
  expect(await audit(stranger, FIRE)).toEqual([refused, refused]);
});
