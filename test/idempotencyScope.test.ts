import { randomUUID } from 'node:crypto';
import { startHarness, type Harness, type Member, type Response } from './support/harness';

// README: `Idempotency-Key` is scoped to organization, user, procedure and key. The same key elsewhere is a new
// request: no replay of another's answer, no 409 IDEMPOTENCY_KEY_REUSED.

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const member = async () => h.member((await h.organization()).id, ['user']);
const send = (who: Member, path: string, body: unknown, key: string) =>
  h.request('POST', path, { token: who.token, body, headers: { 'Idempotency-Key': key } });
const start = (who: Member, key: string) => send(who, '/api/v1/workflows', { definition_code: 'TEST_ADMIN_WORKFLOW' }, key);
const advance = (who: Member, id: string, key: string) => send(who, `/api/v1/workflows/${id}/advance`, { to_state: 'ACTIVE' }, key);
/** Status, whether the answer is a replay, and the fields that tell whose answer it is. */
const answer = (res: Response, ...fields: string[]) => [res.status, res.headers.get('idempotent-replayed'), ...fields.map((f) => res.body[f])];
const listed = async (who: Member) =>
  (await h.request('GET', '/api/v1/workflows', { token: who.token })).body.instances.map((i: { instance_id: string }) => i.instance_id);

test('the same key in two organizations: each starts and advances its own instance, nothing replayed or refused', async () => {
  const [a, b] = await Promise.all([member(), member()]);
  const startKey = `start-${randomUUID()}`;
  const startedA = await start(a, startKey);
  const startedB = await start(b, startKey);
  expect(answer(startedA, 'current_state')).toEqual([201, null, 'DRAFT']);
  expect(answer(startedB, 'current_state')).toEqual([201, null, 'DRAFT']);
  const idA = startedA.body.instance_id;
  const idB = startedB.body.instance_id;
  expect(idB).not.toBe(idA);
  expect(await listed(a)).toEqual([idA]);
  expect(await listed(b)).toEqual([idB]);

  const advanceKey = `advance-${randomUUID()}`;
  expect(answer(await advance(a, idA, advanceKey), 'instance_id', 'to_state')).toEqual([200, null, idA, 'ACTIVE']);
  expect(answer(await advance(b, idB, advanceKey), 'instance_id', 'to_state')).toEqual([200, null, idB, 'ACTIVE']);
  // Within one organization the keys still replay.
  expect(answer(await start(a, startKey), 'instance_id')).toEqual([201, 'true', idA]);
  expect(answer(await advance(b, idB, advanceKey), 'instance_id')).toEqual([200, 'true', idB]);
});

test('one key for START and for ADVANCE in one organization: neither procedure answers for the other', async () => {
  const who = await member();
  // START first, then ADVANCE under the key START used.
  const key = `both-${randomUUID()}`;
  const started = await start(who, key);
  expect(answer(started, 'current_state')).toEqual([201, null, 'DRAFT']);
  const id = started.body.instance_id;
  const advanced = await advance(who, id, key);
  expect(answer(advanced, 'instance_id', 'from_state', 'to_state')).toEqual([200, null, id, 'DRAFT', 'ACTIVE']);
  const startAgain = await start(who, key);
  expect(answer(startAgain)).toEqual([201, 'true']);
  expect(startAgain.body).toEqual(started.body);
  const advanceAgain = await advance(who, id, key);
  expect(answer(advanceAgain)).toEqual([200, 'true']);
  expect(advanceAgain.body).toEqual(advanced.body);

  // ADVANCE first, then START under the key ADVANCE used: a new instance.
  const other = await h.request('POST', '/api/v1/workflows', { token: who.token, body: { definition_code: 'TEST_ADMIN_WORKFLOW' } });
  const advanceKey = `advance-first-${randomUUID()}`;
  expect(answer(await advance(who, other.body.instance_id, advanceKey), 'to_state')).toEqual([200, null, 'ACTIVE']);
  const fresh = await start(who, advanceKey);
  expect(answer(fresh, 'current_state')).toEqual([201, null, 'DRAFT']);
  expect([id, other.body.instance_id]).not.toContain(fresh.body.instance_id);
  expect((await listed(who)).sort()).toEqual([id, other.body.instance_id, fresh.body.instance_id].sort());
});

test('one key from two users of one organization: each gets a fresh execution of their own, never the other’s answer', async () => {
  const org = (await h.organization()).id;
  const [a, b] = await Promise.all([h.member(org, ['user']), h.member(org, ['user'])]);
  const key = `shared-${randomUUID()}`;
  const startedA = await start(a, key);
  const startedB = await start(b, key);
  expect(answer(startedA, 'current_state')).toEqual([201, null, 'DRAFT']);
  expect(answer(startedB, 'current_state')).toEqual([201, null, 'DRAFT']);
  const idA = startedA.body.instance_id;
  const idB = startedB.body.instance_id;
  expect(idB).not.toBe(idA);

  // The same key on ADVANCE: B's call on A's instance runs (and is refused: it is ACTIVE already), then on B's own.
  const advanceKey = `advance-${randomUUID()}`;
  expect(answer(await advance(a, idA, advanceKey), 'instance_id', 'to_state')).toEqual([200, null, idA, 'ACTIVE']);
  const onOthers = await advance(b, idA, advanceKey);
  expect(answer(onOthers)).toEqual([400, null]);
  expect(onOthers.body.error.code).toBe('INVALID_TRANSITION');
  expect(answer(await advance(b, idB, advanceKey), 'instance_id', 'to_state')).toEqual([200, null, idB, 'ACTIVE']);

  // Each user's own repeat still replays their own answer.
  expect(answer(await start(a, key), 'instance_id')).toEqual([201, 'true', idA]);
  expect(answer(await start(b, key), 'instance_id')).toEqual([201, 'true', idB]);
  expect(answer(await advance(b, idB, advanceKey), 'instance_id')).toEqual([200, 'true', idB]);

  // The on-demand sweep: two admins, one key, two runs.
  const [adminA, adminB] = await Promise.all([h.member(org, ['admin']), h.member(org, ['admin'])]);
  const sweepKey = `sweep-${randomUUID()}`;
  const runA = await send(adminA, '/api/v1/scheduler/run', { dry_run: true }, sweepKey);
  const runB = await send(adminB, '/api/v1/scheduler/run', { dry_run: true }, sweepKey);
  expect(answer(runA)).toEqual([200, null]);
  expect(answer(runB)).toEqual([200, null]);
  expect(runB.body.scheduler_run_id).not.toBe(runA.body.scheduler_run_id);
});
