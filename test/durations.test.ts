import { isoFromMs, toIsoDuration } from '../src/definitions/duration';
import { startHarness, type Harness, type Member } from './support/harness';

// Durations come in as ISO-8601 (PT5M) or the short form Temporal users write (5m); every answer, stored
// definition and workflow input carries ISO-8601 only.

let h: Harness;
let admin: Member;

beforeAll(async () => {
  h = await startHarness();
  admin = await h.member((await h.organization()).id, ['admin', 'system', 'user']);
});
afterAll(() => h.close());

const register = (body: unknown) => h.request('POST', '/api/v1/definitions', { token: admin.token, body });
const base = { states: ['A', 'B'], transitions: [{ from: 'A', to: 'B', by: ['user'] }] };
const timer = (extra: Record<string, unknown>) => ({ on_enter: 'A', name: 'remind', on_fire: { escalate_tasks: true }, ...extra });

describe('the short form converts to ISO-8601 (pure)', () => {
  test.each([
    ['200ms', 'PT0.2S'],
    ['5m', 'PT5M'],
    ['1h', 'PT1H'],
    ['2d', 'P2D'],
    ['90s', 'PT1M30S'],
    ['1.5h', 'PT1H30M'],
    ['26h', 'P1DT2H'],
    ['0s', 'PT0S'],
    ['PT5M', 'PT5M'],
  ])('%s is %s', (given, iso) => expect(toIsoDuration(given)).toBe(iso));

  test.each(['5 minutes', '-1m', '5', '1w', 'P', 'PT', '5M', ''])('%j is no duration', (given) => expect(toIsoDuration(given)).toBeUndefined());

  test('whole milliseconds, as the workflow reads them', () => expect(isoFromMs(1234.4)).toBe('PT1.234S'));
});

test('a definition registered with 5m, 200ms, 2d reads back as ISO-8601', async () => {
  const res = await register({
    code: 'SHORT_DURATIONS',
    ...base,
    timers: [timer({ duration: '5m', on_fire: { create_task: { title: 'Chase', due_in: '1.5h' } } })],
    tasks: [{ on_enter: 'A', title: 'Review', due_in: '2d' }],
    effect_retry: { initial_interval: '200ms', max_interval: '1h' },
  });
  expect(res.status).toBe(201);
  const list = await h.request('GET', '/api/v1/definitions', { token: admin.token });
  const stored = list.body.definitions.find((d: { definition_code: string }) => d.definition_code === 'SHORT_DURATIONS').definition;
  expect(stored.timers[0]).toMatchObject({ duration: 'PT5M', on_fire: { create_task: { due_in: 'PT1H30M' } } });
  expect(stored.tasks[0].due_in).toBe('P2D');
  expect(stored.effect_retry).toMatchObject({ initial_interval: 'PT0.2S', max_interval: 'PT1H' });
});

test.each([
  ['5 minutes', 'timers.0.duration', { timers: [timer({ duration: '5 minutes' })] }],
  ['-1m', 'tasks.0.due_in', { tasks: [{ on_enter: 'A', title: 'Review', due_in: '-1m' }] }],
  ['1w', 'effect_retry.initial_interval', { effect_retry: { initial_interval: '1w' } }],
])('a definition with duration %j is 400 VALIDATION_FAILED naming %s', async (_given, field, change) => {
  const res = await register({ code: 'BAD_DURATION', ...base, ...change });
  expect(res.status).toBe(400);
  expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { fields: [expect.objectContaining({ field })] } });
});

test('caps apply to the short form: 400d and 31d are refused naming the field', async () => {
  const res = await register({ code: 'CAPPED_SHORT', ...base, timers: [timer({ duration: '31d' })], tasks: [{ on_enter: 'A', title: 'Review', due_in: '400d' }] });
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe('INVALID_DEFINITION');
  expect(res.body.error.details.problems.map((p: { path: string }) => p.path)).toEqual(['timers.0.duration', 'tasks.0.due_in']);
});

describe('an API timer', () => {
  let timers: string;
  beforeAll(async () => {
    const started = await h.request('POST', '/api/v1/workflows', { token: admin.token, body: { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE' } });
    expect(started.status).toBe(201);
    timers = `/api/v1/workflows/${started.body.instance_id}/timers`;
  });
  const set = (body: Record<string, unknown>) => h.request('POST', timers, { token: admin.token, body: { on_fire: { escalate_tasks: true }, ...body } });

  test('set with duration 2s fires 2 s ahead; its create_task.due_in 1h answers as PT1H', async () => {
    const before = Date.now();
    const res = await set({ name: 'soon', duration: '2s', on_fire: { create_task: { title: 'Chase', due_in: '1h' } } });
    const after = Date.now();
    expect(res.status).toBe(200);
    const fireAt = Date.parse(res.body.fire_at);
    expect(fireAt).toBeGreaterThanOrEqual(before + 2000 - 1);
    expect(fireAt).toBeLessThanOrEqual(after + 2000);
    expect(res.body.on_fire.create_task.due_in).toBe('PT1H');
  });

  test.each([
    ['5 minutes', 'duration', { duration: '5 minutes' }],
    ['-1m', 'duration', { duration: '-1m' }],
    ['400d', 'on_fire.create_task.due_in', { minutes: 5, on_fire: { create_task: { title: 'Late', due_in: '400d' } } }],
  ])('%j is 400 VALIDATION_FAILED naming %s', async (_given, field, body) => {
    const res = await set({ name: 'bad', ...body });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { fields: [expect.objectContaining({ field })] } });
  });

  test('31d is past the 30-day timer cap, as P31D is', async () => {
    const [short, iso] = [await set({ name: 'far', duration: '31d' }), await set({ name: 'far-iso', duration: 'P31D' })];
    expect(short.status).toBe(400);
    expect([short.body.error.code, iso.body.error.code]).toEqual(['INVALID_DURATION', 'INVALID_DURATION']);
  });
});
