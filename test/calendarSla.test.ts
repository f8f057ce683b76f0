import { instanceWorkflowId } from '../src/temporal/ids';
import { startHarness, type Harness, type Member } from './support/harness';
import { everyHour, firstWorking, holidayCalendar, today, tomorrow, utcDate } from './support/holidayCalendar';

// SLAs counted in a business calendar's working time, on the real system, on a calendar built around today
// (test/support/holidayCalendar.ts).

let h: Harness;
let admin: Member;


beforeAll(async () => {
  h = await startHarness();
  admin = await h.member((await h.organization()).id, ['admin', 'user']);
  const put = await h.request('PUT', '/api/v1/calendars/OPS_HOURS', {
    token: admin.token,
    body: holidayCalendar,
  });
  expect(put.status).toBe(201);
  for (const [code, sla_calendar] of [['CAL_SLA', 'OPS_HOURS'], ['CAL_SLA_MISSING', 'NO_SUCH_CALENDAR']]) {
    const res = await h.request('POST', '/api/v1/definitions', {
      token: admin.token,
      body: { code, states: ['OPEN', 'DONE'], transitions: [{ from: 'OPEN', to: 'DONE', by: ['user'] }], sla_hours: 1, sla_calendar },
    });
    expect(res.status).toBe(201);
  }
});
afterAll(() => h.close());

const header = async (id: string) =>
  h.system.services.db.withOrg(admin.organizationId, async (sql) => (await sql.query(`select metadata from universal_transactions where id = $1`, [id])).rows[0].metadata);

async function start(code = 'CAL_SLA') {
  return h.request('POST', '/api/v1/workflows', { token: admin.token, body: { definition_code: code } });
}

test('one SLA hour on a calendar is one working hour: the holidays do not count; warnings are fractions of working time', async () => {
  const started = await start();
  expect(started.status).toBe(201);
  expect(started.body.sla_at).toBe(new Date(firstWorking + 3_600_000).toISOString());
  expect(await header(started.body.instance_id)).toMatchObject({
    sla_calendar: 'OPS_HOURS',
    sla_calendar_version: 1,
    sla_warnings_at: [new Date(firstWorking + 1_800_000).toISOString(), new Date(firstWorking + 2_700_000).toISOString()],
    sla_check_at: new Date(firstWorking + 1_800_000).toISOString(),
  });
  // The sweep's dry run predicts from the same working-time moments: the first warning, 30 working minutes in.
  const dry = (minutes: number) =>
    h.request('POST', '/api/v1/scheduler/run', { token: admin.token, body: { dry_run: true, as_of: new Date(firstWorking + minutes * 60_000).toISOString() } });
  expect((await dry(29)).body).toMatchObject({ instances_warned: 0, instances_escalated: 0 });
  expect((await dry(31)).body.instances_warned).toBeGreaterThanOrEqual(1);
});

test('START sets every search attribute but a calendar SLA\'s due time, which the workflow upserts alone', async () => {
  const started = await start();
  expect(started.status).toBe(201);
  const handle = h.system.services.temporal.workflow.getHandle(instanceWorkflowId(admin.organizationId, started.body.instance_id));
  const { events } = await handle.fetchHistory();
  expect(Object.keys(events![0]!.workflowExecutionStartedEventAttributes!.searchAttributes!.indexedFields!)).not.toContain('HeraSlaAt');
  const upserts = events!.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes);
  expect(upserts.map((e) => Object.keys(e.upsertWorkflowSearchAttributesEventAttributes!.searchAttributes!.indexedFields!))).toEqual([['HeraSlaAt']]);
  expect((await handle.describe()).searchAttributes.HeraSlaAt).toEqual([new Date(started.body.sla_at)]);
});

test('a pause on a holiday takes no working time: the deadline stays where it was', async () => {
  const id = (await start()).body.instance_id;
  const before = (await header(id)).sla_at;
  expect((await h.request('POST', `/api/v1/workflows/${id}/pause`, { token: admin.token, body: { reason: 'holiday' } })).status).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  const resumed = await h.request('POST', `/api/v1/workflows/${id}/resume`, { token: admin.token, body: {} });
  expect(resumed.status).toBe(200);
  expect(resumed.body.pause_duration_seconds).toBeGreaterThanOrEqual(1);
  expect(resumed.body.sla_at).toBe(before);
  expect(await header(id)).toMatchObject({ sla_at: before, pause_working_ms: 0 });
});

test('a new calendar version applies to running instances only through an SLA recalculation, which re-pins it', async () => {
  const id = (await start()).body.instance_id;
  const pinned = (await header(id)).sla_at;
  // Version 2: today works after all.
  const v2 = await h.request('PUT', '/api/v1/calendars/OPS_HOURS', { token: admin.token, body: { name: 'Operations', time_zone: 'UTC', working_hours: everyHour, holidays: [tomorrow] } });
  expect(v2.body.version).toBe(2);
  expect((await header(id)).sla_at).toBe(pinned);
  const recalc = await h.request('POST', `/api/v1/workflows/${id}/sla-recalc`, { token: admin.token, body: { recalc_reason: 'calendar v2' } });
  expect(recalc.status).toBe(200);
  const row = await h.system.services.db.withOrg(admin.organizationId, async (sql) => (await sql.query(`select created_at from wf_instances_view where instance_id = $1`, [id])).rows[0]);
  const created = new Date(row.created_at).getTime();
  // Version 2 works today and not tomorrow: an hour that runs past midnight goes on the day after tomorrow.
  const tomorrowStarts = firstWorking - 86_400_000;
  const end = created + 3_600_000;
  const expected = new Date(utcDate(created) !== today ? firstWorking + 3_600_000 : end <= tomorrowStarts ? end : firstWorking + (end - tomorrowStarts)).toISOString();
  expect(recalc.body.new_sla_at).toBe(expected);
  expect(await header(id)).toMatchObject({ sla_at: expected, sla_calendar_version: 2 });
  // Put version 1's holidays back for the other tests' expectations (a version 3).
  await h.request('PUT', '/api/v1/calendars/OPS_HOURS', { token: admin.token, body: holidayCalendar });
});

test('a definition whose calendar does not exist cannot start: 422 CALENDAR_NOT_FOUND naming it', async () => {
  const res = await start('CAL_SLA_MISSING');
  expect(res.status).toBe(422);
  expect(res.body.error).toMatchObject({ code: 'CALENDAR_NOT_FOUND', details: { sla_calendar: 'NO_SUCH_CALENDAR' } });
});
