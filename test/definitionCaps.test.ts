import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { DatabaseError } from 'pg';
import { createActivities } from '../src/activities';
import { asPermanent } from '../src/activities/databaseRejection';
import { loadDefinitionCatalog } from '../src/definitions/catalog';
import { checkCaps, definitionCaps } from '../src/definitions/caps';
import { storeDefinitionVersion } from '../src/db/queries/definitions';
import { startHarness, type Harness, type Member } from './support/harness';

let h: Harness;
let admin: Member;
let user: Member;

beforeAll(async () => {
  h = await startHarness();
  const org = (await h.organization()).id;
  admin = await h.member(org, ['admin', 'user']);
  user = await h.member(org, ['user']);
});
afterAll(() => h.close());

const register = (body: unknown) => h.request('POST', '/api/v1/definitions', { token: admin.token, body });

const base = {
  states: ['A', 'B', 'C'],
  transitions: [
    { from: 'A', to: 'B', by: ['user'] },
    { from: 'B', to: 'C', by: ['user'] },
  ],
};
const log = 'HERA.UNIV.WF.EFFECT.LOG.v1';
const timer = (on_enter: string, name: string, extra: Record<string, unknown> = {}) => ({ on_enter, name, minutes: 5, on_fire: { escalate_tasks: true }, ...extra });

describe('a definition past its caps is 400 INVALID_DEFINITION naming the field', () => {
  test.each([
    ['sla_hours over a year', { sla_hours: 1e12 }, 'sla_hours'],
    ['two timers of one state with one name', { timers: [timer('A', 'remind'), timer('A', 'remind')] }, 'timers.1.name'],
    ['more effects on one transition than the cap', { transitions: [{ from: 'A', to: 'B', by: ['user'], effects: Array(21).fill(log) }] }, 'transitions.0.effects'],
    ['more than 256 KiB of JSON', { description: 'x'.repeat(definitionCaps.bytes) }, '(definition)'],
    ['a task due in more than a year', { tasks: [{ on_enter: 'A', title: 'Review', due_in: 'P366D' }] }, 'tasks.0.due_in'],
    ['a timer task due in more than a year', { timers: [timer('A', 't', { on_fire: { create_task: { title: 'Late', due_in: 'P400D' } } })] }, 'timers.0.on_fire.create_task.due_in'],
    ['a timer duration past 30 days (its minutes cap)', { timers: [{ ...timer('A', 't'), minutes: undefined, duration: 'P31D' }] }, 'timers.0.duration'],
    ['an effect retry interval over a year', { effect_retry: { max_interval: 'P400D' } }, 'effect_retry.max_interval'],
    ['an effect retry maximum below its initial interval', { effect_retry: { initial_interval: 'PT10M', max_interval: 'PT1M' } }, 'effect_retry.max_interval'],
    ['a zero effect retry interval', { effect_retry: { initial_interval: 'PT0S' } }, 'effect_retry.initial_interval'],
    ['a version past PostgreSQL int', { version: 3_000_000_000 }, 'version'],
    ['more states than the cap', { states: Array.from({ length: 201 }, (_, i) => `S${i}`), transitions: [] }, 'states'],
    ['more timers in one state than the cap', { timers: Array.from({ length: 51 }, (_, i) => timer('A', `t${i}`)) }, 'timers.50'],
  ])('%s', async (_case, change, path) => {
    const res = await register({ code: 'CAPPED', ...base, ...change });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_DEFINITION');
    expect(res.body.error.message).toContain(path);
    expect(res.body.error.details.problems.map((p: { path: string }) => p.path)).toEqual([path]);
    // Nothing was stored.
    const list = await h.request('GET', '/api/v1/definitions', { token: user.token });
    expect(list.body.definitions.map((d: { definition_code: string }) => d.definition_code)).not.toContain('CAPPED');
  });

  test('a version stored before the caps is refused at START (422 INVALID_DEFINITION), not started to wedge', async () => {
    const wedging = { code: 'PRE_CAPS', version: 1, ...base, sla_hours: 1e12, terminal_states: ['C'], timers: [], tasks: [] };
    await h.system.services.db.withOrg(admin.organizationId, (sql) => storeDefinitionVersion(sql, admin.organizationId, wedging, admin.userId));
    const res = await h.request('POST', '/api/v1/workflows', { token: user.token, body: { definition_code: 'PRE_CAPS' } });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'INVALID_DEFINITION', details: { problems: [{ path: 'sla_hours' }] } });
    expect((await h.request('GET', '/api/v1/workflows?definition_code=PRE_CAPS', { token: user.token })).body.instances).toEqual([]);
  });

  test('a definition at every cap registers, and one timer name may serve several states', async () => {
    const res = await register({
      code: 'AT_CAPS',
      ...base,
      sla_hours: definitionCaps.slaHours,
      transitions: [{ from: 'A', to: 'B', by: ['user'], effects: Array(definitionCaps.effectsPerTransition).fill(log) }, base.transitions[1]],
      timers: [timer('A', 'remind', { minutes: 43_200 }), timer('B', 'remind')],
      tasks: [{ on_enter: 'A', title: 'Review', due_in: 'P365D' }],
      effect_retry: { initial_interval: 'PT1S', max_interval: 'P365D' },
    });
    expect(res).toMatchObject({ status: 201, body: { definition_code: 'AT_CAPS', created: true } });
  });

  test('the definitions shipped in the catalog are within the caps', () => {
    const shipped = loadDefinitionCatalog().list();
    expect(shipped.length).toBeGreaterThan(0);
    expect(shipped.map((d) => [d.code, checkCaps(d)])).toEqual(shipped.map((d) => [d.code, []]));
  });
});

describe('a change the database refuses for good (SQLSTATE class 22/23) fails at once, not in a retry loop', () => {
  const advance = (instanceId: string, body: Record<string, unknown>) =>
    h.request('POST', `/api/v1/workflows/${instanceId}/advance`, { token: user.token, body });

  test('an advance whose payload PostgreSQL cannot store is 422 PERSISTENCE_REJECTED; the next valid advance succeeds', async () => {
    expect((await register({ code: 'REFUSED_PAYLOAD', ...base })).status).toBe(201);
    const started = await h.request('POST', '/api/v1/workflows', { token: user.token, body: { definition_code: 'REFUSED_PAYLOAD' } });
    expect(started.status).toBe(201);
    const id = started.body.instance_id as string;

    // JSON allows U+0000 in a string; PostgreSQL's jsonb does not (SQLSTATE 22P05).
    const began = Date.now();
    const refused = await advance(id, { to_state: 'B', payload: { note: 'before\u0000after' } });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'PERSISTENCE_REJECTED', details: { sqlstate: '22P05' } });
    expect(refused.body.error.message).toContain('SQLSTATE 22P05');
    expect(Date.now() - began).toBeLessThan(10_000);

    const moved = await advance(id, { to_state: 'B', payload: { note: 'plain' } });
    expect(moved).toMatchObject({ status: 200, body: { from_state: 'A', to_state: 'B', current_state: 'B' } });
    const instance = await h.request('GET', `/api/v1/workflows/${id}`, { token: user.token });
    expect(instance.body.instance).toMatchObject({ current_state: 'B' });
    // The refused advance left no step behind: the one move is the valid one.
    expect(instance.body.steps.map((s: { to_state: string; payload: unknown }) => [s.to_state, s.payload])).toEqual([['A', null], ['B', { note: 'plain' }]]);
  }, 90_000);

  test('a definition PostgreSQL cannot store is 422 PERSISTENCE_REJECTED, and the same code registers once valid', async () => {
    const began = Date.now();
    const refused = await register({ code: 'REFUSED_DEFINITION', description: 'nul\u0000byte', ...base });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'PERSISTENCE_REJECTED', details: { sqlstate: '22P05' } });
    expect(Date.now() - began).toBeLessThan(5_000);
    expect(await register({ code: 'REFUSED_DEFINITION', description: 'plain', ...base })).toMatchObject({ status: 201, body: { created: true } });
  }, 90_000);

  test('a START whose context PostgreSQL cannot store is 422 PERSISTENCE_REJECTED, again for its Idempotency-Key; a valid START works', async () => {
    const startWith = (context: Record<string, unknown>, key: string) =>
      h.request('POST', '/api/v1/workflows', { token: user.token, body: { definition_code: 'LEAVE_APPROVAL', context }, headers: { 'idempotency-key': key } });
    const began = Date.now();
    const refused = await startWith({ reason: 'nul\u0000byte' }, 'caps-start-nul');
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'PERSISTENCE_REJECTED', details: { sqlstate: '22P05' } });
    expect(Date.now() - began).toBeLessThan(10_000);
    const repeated = await startWith({ reason: 'nul\u0000byte' }, 'caps-start-nul');
    expect(repeated.status).toBe(422);
    expect(repeated.body.error.code).toBe('PERSISTENCE_REJECTED');
    expect(await startWith({ reason: 'plain' }, 'caps-start-plain')).toMatchObject({ status: 201, body: { current_state: 'DRAFT' } });
  }, 90_000);

  test('two timers that key the same record (the old duplicate timer name) fail the activity as non-retryable 23505', async () => {
    const { db, temporal, config } = h.system.services;
    const activities = createActivities({ db, temporal, config });
    const org = user.organizationId;
    const timer = { instance_id: randomUUID(), name: 'remind', fire_at: new Date(Date.now() + 60_000).toISOString(), on_fire: {}, status: 'PENDING' as const, source: 'definition' as const, on_enter: 'A' };
    const twins = [{ ...timer, timer_id: randomUUID() }, { ...timer, timer_id: randomUUID() }];
    const failure = await activities.recordTimers({ organizationId: org, timers: twins, actorUserId: user.userId }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'PERSISTENCE_REJECTED', nonRetryable: true, details: [{ sqlstate: '23505' }] });
  });

  test('other database errors (a serialization failure, 40001; a lost connection) keep their retries', () => {
    const busy = Object.assign(new DatabaseError('could not serialize access due to concurrent update', 0, 'error'), { code: '40001' });
    expect(asPermanent(busy)).toBe(busy);
    const lost = new Error('Connection terminated unexpectedly');
    expect(asPermanent(lost)).toBe(lost);
    const refused = Object.assign(new DatabaseError('value too long for type character varying(100)', 0, 'error'), { code: '22001', column: 'smart_code' });
    expect(asPermanent(refused)).toMatchObject({ type: 'PERSISTENCE_REJECTED', nonRetryable: true, details: [{ sqlstate: '22001', column: 'smart_code' }] });
  });
});

test('an API timer’s create_task.due_in is an ISO-8601 duration of at most a year (the workflow reads it when the timer fires)', async () => {
  const started = await h.request('POST', '/api/v1/workflows', { token: admin.token, body: { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE' } });
  expect(started.status).toBe(201);
  const timers = `/api/v1/workflows/${started.body.instance_id}/timers`;
  const setWith = (name: string, due_in: string) =>
    h.request('POST', timers, { token: admin.token, body: { name, minutes: 60, on_fire: { create_task: { title: 'Follow up', due_in } } } });
  for (const due_in of ['soon', 'P400D']) {
    const refused = await setWith(`bad-${due_in}`, due_in);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { fields: [expect.objectContaining({ field: 'on_fire.create_task.due_in' })] } });
  }
  const set = await setWith('good', 'P1D');
  expect(set.status).toBe(200);
  const fired = await h.request('POST', `${timers}/${set.body.timer_id}/fire`, { token: admin.token, body: {} });
  expect(fired).toMatchObject({ status: 200, body: { status: 'FIRED', execution_result: { task_created: expect.any(String) } } });
});
