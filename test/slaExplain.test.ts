import { eventually } from './support/eventually';
import { startHarness, type Harness, type Member } from './support/harness';
import { firstWorking, holidayCalendar } from './support/holidayCalendar';

// An instance's deadline explained (GET …/:instance_id/sla) and its working hours left in the instance reads, on
// the real system, on a calendar built around today (test/support/holidayCalendar.ts).

let h: Harness;
let admin: Member;
let stranger: Member;

const hourMs = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

beforeAll(async () => {
  h = await startHarness();
  admin = await h.member((await h.organization()).id, ['admin', 'user']);
  stranger = await h.member((await h.organization()).id, ['admin', 'user']);
  const put = await h.request('PUT', '/api/v1/calendars/EXPLAIN_HOURS', {
    token: admin.token,
    body: holidayCalendar,
  });
  expect(put.status).toBe(201);
  const definitions = [
    { code: 'EXPLAIN_CAL', sla_hours: 1, sla_calendar: 'EXPLAIN_HOURS' },
    { code: 'EXPLAIN_WALL', sla_hours: 2 / 3600 },
  ];
  for (const definition of definitions) {
    const res = await h.request('POST', '/api/v1/definitions', {
      token: admin.token,
      body: { ...definition, states: ['OPEN', 'DONE'], transitions: [{ from: 'OPEN', to: 'DONE', by: ['user'] }] },
    });
    expect(res.status).toBe(201);
  }
});
afterAll(() => h.close());

async function start(code: string): Promise<string> {
  const res = await h.request('POST', '/api/v1/workflows', { token: admin.token, body: { definition_code: code } });
  expect(res.status).toBe(201);
  return res.body.instance_id;
}
const explain = (id: string, member = admin) => h.request('GET', `/api/v1/workflows/${id}/sla`, { token: member.token });
const hoursOf = (intervals: Array<{ start: string; end: string }>) => intervals.reduce((sum, i) => sum + Date.parse(i.end) - Date.parse(i.start), 0) / hourMs;

test('on a calendar: the calendar and version, the working intervals from the first working moment, the hours left, the tiers', async () => {
  const id = await start('EXPLAIN_CAL');
  const res = await explain(id);
  expect(res.status).toBe(200);
  expect(res.body).toEqual({
    instance_id: id,
    sla_at: iso(firstWorking + hourMs),
    sla_duration_hours: 1,
    calendar: { code: 'EXPLAIN_HOURS', version: 1, time_zone: 'UTC' },
    working_hours_remaining: 1,
    working_intervals: [{ start: iso(firstWorking), end: iso(firstWorking + hourMs) }],
    working_intervals_truncated: false,
    pauses: [],
    recalcs: [],
    tiers: [
      { tier: 'warning_50', due_at: iso(firstWorking + hourMs / 2), fired_at: null },
      { tier: 'warning_75', due_at: iso(firstWorking + (3 * hourMs) / 4), fired_at: null },
      { tier: 'breach_1', due_at: iso(firstWorking + hourMs), fired_at: null },
      { tier: 'breach_2', due_at: iso(firstWorking + 3 * hourMs), fired_at: null },
      { tier: 'breach_3', due_at: iso(firstWorking + 7 * hourMs), fired_at: null },
    ],
    levels: { warning: 0, escalation: 0 },
  });
  expect(hoursOf(res.body.working_intervals)).toBe(1);
  const detail = await h.request('GET', `/api/v1/workflows/${id}?include_steps=false`, { token: admin.token });
  expect(detail.body.instance).toMatchObject({ sla_calendar: 'EXPLAIN_HOURS', sla_calendar_version: 1, sla_working_hours_remaining: 1 });
});

test('a pause on a holiday: listed while it runs, then with its end, no working time taken and the deadline unmoved', async () => {
  const id = await start('EXPLAIN_CAL');
  expect((await h.request('POST', `/api/v1/workflows/${id}/pause`, { token: admin.token, body: { reason: 'holiday' } })).status).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  const running = await explain(id);
  expect(running.body.pauses).toEqual([
    { paused_at: expect.any(String), resumed_at: null, duration_seconds: expect.any(Number), working_seconds: 0, moved_deadline_by_seconds: null },
  ]);
  expect(running.body.pauses[0].duration_seconds).toBeGreaterThanOrEqual(1);
  expect(running.body.working_hours_remaining).toBe(1);
  expect((await h.request('POST', `/api/v1/workflows/${id}/resume`, { token: admin.token, body: {} })).status).toBe(200);
  const resumed = await explain(id);
  expect(resumed.body.pauses).toEqual([
    { paused_at: running.body.pauses[0].paused_at, resumed_at: expect.any(String), duration_seconds: expect.any(Number), working_seconds: 0, moved_deadline_by_seconds: 0 },
  ]);
  expect(resumed.body.pauses[0].duration_seconds).toBeGreaterThanOrEqual(1);
  expect(resumed.body.sla_at).toBe(iso(firstWorking + hourMs));
});

test('an SLA recalculation is listed with the deadline before and after and the version it pinned', async () => {
  const id = await start('EXPLAIN_CAL');
  const recalc = await h.request('POST', `/api/v1/workflows/${id}/sla-recalc`, { token: admin.token, body: { sla_override_hours: 2, recalc_reason: 'more time' } });
  expect(recalc.status).toBe(200);
  const res = await explain(id);
  expect(res.body.recalcs).toEqual([
    { at: expect.any(String), previous_sla: iso(firstWorking + hourMs), new_sla: iso(firstWorking + 2 * hourMs), sla_hours: 2, calendar_version: 1 },
  ]);
  expect(res.body).toMatchObject({ sla_at: iso(firstWorking + 2 * hourMs), sla_duration_hours: 2, working_hours_remaining: 2 });
  expect(hoursOf(res.body.working_intervals)).toBe(2);
});

test('on wall-clock time: no calendar; once escalated, the warnings and the first breach level show when they were reached', async () => {
  const id = await start('EXPLAIN_WALL');
  const escalated = await eventually(async () => {
    const res = await explain(id);
    expect(res.body.levels).toEqual({ warning: 2, escalation: 1 });
    return res.body;
  }, 10_000, 100);
  expect(escalated).toMatchObject({ calendar: null, working_hours_remaining: null, working_intervals: [], pauses: [], recalcs: [] });
  const fired = Object.fromEntries(escalated.tiers.map((t: { tier: string; fired_at: string | null }) => [t.tier, t.fired_at]));
  expect(fired).toEqual({ warning_50: expect.any(String), warning_75: expect.any(String), breach_1: expect.any(String), breach_2: null, breach_3: null });
  const slaAt = Date.parse(escalated.sla_at);
  expect(escalated.tiers.map((t: { due_at: string }) => Date.parse(t.due_at))).toEqual([slaAt - 1000, slaAt - 500, slaAt, slaAt + 2 * hourMs, slaAt + 6 * hourMs]);
  expect(Date.parse(fired.breach_1)).toBeGreaterThanOrEqual(slaAt);
  const detail = await h.request('GET', `/api/v1/workflows/${id}?include_steps=false`, { token: admin.token });
  expect(detail.body.instance).toMatchObject({ sla_calendar: null, sla_calendar_version: null, sla_working_hours_remaining: null });
});

test('list items carry the calendar, its version and the working hours left', async () => {
  const [onCalendar, wallClock] = [await start('EXPLAIN_CAL'), await start('EXPLAIN_WALL')];
  const res = await h.request('GET', '/api/v1/workflows?limit=500', { token: admin.token });
  expect(res.status).toBe(200);
  const item = (id: string) => res.body.instances.find((i: { instance_id: string }) => i.instance_id === id);
  expect(item(onCalendar)).toMatchObject({ sla_calendar: 'EXPLAIN_HOURS', sla_calendar_version: 1, sla_working_hours_remaining: 1 });
  expect(item(wallClock)).toMatchObject({ sla_calendar: null, sla_calendar_version: null, sla_working_hours_remaining: null });
});

test("another organization's instance, an unknown one: 404 INSTANCE_NOT_FOUND; a malformed id: 400 naming it", async () => {
  const id = await start('EXPLAIN_CAL');
  for (const res of [await explain(id, stranger), await explain('00000000-0000-4000-8000-000000000999')]) {
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('INSTANCE_NOT_FOUND');
  }
  const malformed = await explain('not-an-id');
  expect(malformed.status).toBe(400);
  expect(JSON.stringify(malformed.body.error.details)).toContain('instance_id');
});
