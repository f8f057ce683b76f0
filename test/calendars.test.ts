import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { holidaysFromIcs } from '../src/calendars/ics';
import { findCalendarVersion } from '../src/db/queries/calendars';
import { startHarness, type Harness, type Member } from './support/harness';

const bin = path.resolve(__dirname, '../bin/hera.js');

let h: Harness;
let admin: Member;
let reader: Member;
let scratch: string;

beforeAll(async () => {
  h = await startHarness();
  const org = (await h.organization()).id;
  [admin, reader] = await Promise.all([h.member(org, ['admin', 'user']), h.member(org, ['user'])]);
  scratch = mkdtempSync(path.join(os.tmpdir(), 'hera-calendars-'));
});
afterAll(() => h.close());

const nineToFive = [['09:00', '17:00']];
const workingHours = { mon: [['09:00', '12:00'], ['13:00', '17:00']], tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive, sat: [], sun: [] };
const berlin = { name: 'Berlin office', time_zone: 'Europe/Berlin', working_hours: workingHours, holidays: ['2026-12-25', { date: '2026-12-24', name: 'Christmas Eve' }] };

const put = (code: string, body: unknown, token = admin.token) => h.request('PUT', `/api/v1/calendars/${code}`, { token, body });
const get = (route: string, token = admin.token) => h.request('GET', route, { token });

test('a PUT stores version 1; a changed body version 2, effective later; the same body again stores nothing', async () => {
  const first = await put('DE_BERLIN', berlin);
  expect(first.status).toBe(201);
  expect(first.body).toEqual({
    code: 'DE_BERLIN',
    name: 'Berlin office',
    version: 1,
    effective_from: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    time_zone: 'Europe/Berlin',
    working_hours: workingHours,
    // Strings become {date}; stored in date order.
    holidays: [{ date: '2026-12-24', name: 'Christmas Eve' }, { date: '2026-12-25' }],
    exceptions: [],
    created_at: first.body.effective_from,
    created_by: admin.userId,
  });

  const changed = { ...berlin, exceptions: [{ date: '2026-12-31', hours: [['10:00', '14:00']] }] };
  const second = await put('DE_BERLIN', changed);
  expect(second.status).toBe(201);
  expect(second.body).toMatchObject({ version: 2, exceptions: changed.exceptions, holidays: first.body.holidays });
  expect(Date.parse(second.body.effective_from)).toBeGreaterThan(Date.parse(first.body.effective_from));

  // The same days in another order are the same version.
  const again = await put('DE_BERLIN', { ...changed, holidays: [...changed.holidays].reverse() });
  expect(again.status).toBe(200);
  expect(again.body).toEqual(second.body);

  expect(await get('/api/v1/calendars/DE_BERLIN', reader.token)).toMatchObject({ status: 200, body: second.body });
  expect(await get('/api/v1/calendars/DE_BERLIN?version=1', reader.token)).toMatchObject({ status: 200, body: first.body });
  const org = admin.organizationId;
  expect(await h.system.services.db.withOrg(org, (sql) => findCalendarVersion(sql, org, 'DE_BERLIN', 1))).toEqual(first.body);
  expect(await h.system.services.db.withOrg(org, (sql) => findCalendarVersion(sql, org, 'DE_BERLIN'))).toEqual(second.body);
});

test('the list answers each calendar once, at its current version, latest stored first, keyset-paginated', async () => {
  expect((await put('AT_VIENNA', { ...berlin, name: 'Vienna', time_zone: 'Europe/Vienna' })).status).toBe(201);
  expect((await put('AT_VIENNA', { ...berlin, name: 'Vienna office', time_zone: 'Europe/Vienna' })).status).toBe(201);
  expect((await put('UTC_DESK', { ...berlin, name: 'Round the clock', time_zone: 'UTC', holidays: [] })).status).toBe(201);
  const all = await get('/api/v1/calendars', reader.token);
  expect(all.status).toBe(200);
  const listed = all.body.calendars.map((c: { code: string; version: number; name: string }) => [c.code, c.version, c.name]);
  expect(listed.slice(0, 2)).toEqual([
    ['UTC_DESK', 1, 'Round the clock'],
    ['AT_VIENNA', 2, 'Vienna office'],
  ]);
  expect(listed.filter(([code]: [string]) => code === 'AT_VIENNA')).toHaveLength(1);

  const page1 = await get('/api/v1/calendars?limit=1', reader.token);
  expect(page1.body.calendars.map((c: { code: string }) => c.code)).toEqual(['UTC_DESK']);
  expect(page1.body.pagination).toMatchObject({ limit: 1, has_more: true });
  const page2 = await get(`/api/v1/calendars?limit=1&cursor=${page1.body.pagination.next_cursor}`, reader.token);
  expect(page2.body.calendars.map((c: { code: string }) => c.code)).toEqual(['AT_VIENNA']);
  expect((await get('/api/v1/calendars?cursor=nonsense')).body.error.code).toBe('INVALID_PAGINATION');
});

test('concurrent PUTs of one code take versions one after another', async () => {
  const answers = await Promise.all(['One', 'Two', 'Three'].map((name) => put('RACE', { ...berlin, name })));
  expect(answers.map((a) => a.status)).toEqual([201, 201, 201]);
  expect(answers.map((a) => a.body.version).sort()).toEqual([1, 2, 3]);
});

test('an unknown calendar or version is 404; a non-admin PUT is 403', async () => {
  const missing = await get('/api/v1/calendars/NOWHERE');
  expect(missing.status).toBe(404);
  expect(missing.body.error).toMatchObject({ code: 'CALENDAR_NOT_FOUND', details: { code: 'NOWHERE' } });
  expect((await put('LATE_VERSION', berlin)).status).toBe(201);
  const noVersion = await get('/api/v1/calendars/LATE_VERSION?version=9');
  expect(noVersion.status).toBe(404);
  expect(noVersion.body.error).toMatchObject({ code: 'CALENDAR_NOT_FOUND', details: { code: 'LATE_VERSION', version: 9 } });

  const denied = await put('DE_BERLIN', { ...berlin, name: 'Mine now' }, reader.token);
  expect(denied.status).toBe(403);
  expect(denied.body.error.code).toBe('PERMISSION_DENIED');
});

test('bad input is 400 VALIDATION_FAILED naming the field, never a 500', async () => {
  const week = (change: Record<string, unknown>) => ({ ...berlin, working_hours: { ...workingHours, ...change } });
  const { sun: _sun, ...noSunday } = workingHours;
  const cases: Array<[string, unknown, string, RegExp?]> = [
    ['an unknown zone', { ...berlin, time_zone: 'Mars/Olympus' }, 'time_zone'],
    ['a zone not spelled as IANA does', { ...berlin, time_zone: 'europe/berlin' }, 'time_zone', /Europe\/Berlin/],
    ['an offset for a zone', { ...berlin, time_zone: '+01:00' }, 'time_zone'],
    ['overlapping ranges', week({ mon: [['09:00', '12:00'], ['11:00', '17:00']] }), 'working_hours.mon.1', /overlaps/],
    ['unordered ranges', week({ mon: [['13:00', '17:00'], ['09:00', '12:00']] }), 'working_hours.mon.1', /time order/],
    ['25:00', week({ tue: [['09:00', '25:00']] }), 'working_hours.tue.0.1'],
    ['24:30', week({ tue: [['09:00', '24:30']] }), 'working_hours.tue.0.1'],
    ['a range ending before it starts', week({ wed: [['17:00', '09:00']] }), 'working_hours.wed.0', /before the end/],
    ['an empty range', week({ wed: [['09:00', '09:00']] }), 'working_hours.wed.0'],
    ['a range that is not a pair', week({ thu: [5, ['09:00']] }), 'working_hours.thu.0'],
    ['a missing weekday', { ...berlin, working_hours: noSunday }, 'working_hours.sun', /give \[\] for a day off/],
    ['an unknown weekday', week({ someday: [] }), 'working_hours.someday'],
    ['no working time at all', week({ mon: [], tue: [], wed: [], thu: [], fri: [] }), 'working_hours', /at least one weekday/],
    ['2026-02-30', { ...berlin, holidays: ['2026-02-30'] }, 'holidays.0.date', /not a day/],
    ['a date in another format', { ...berlin, holidays: [{ date: '25.12.2026' }] }, 'holidays.0.date'],
    ['a duplicate holiday', { ...berlin, holidays: ['2026-12-25', { date: '2026-12-25', name: 'Christmas' }] }, 'holidays.1.date', /listed twice/],
    ['a duplicate exception', { ...berlin, exceptions: [{ date: '2026-12-31', hours: [] }, { date: '2026-12-31', hours: nineToFive }] }, 'exceptions.1.date'],
    ['an exception with bad hours', { ...berlin, exceptions: [{ date: '2026-12-31', hours: [['14:00', '10:00']] }] }, 'exceptions.0.hours.0'],
    ['no name', { ...berlin, name: ' ' }, 'name'],
    ['an unknown field', { ...berlin, colour: 'red' }, 'colour'],
  ];
  for (const [what, body, field, message] of cases) {
    const res = await put('DE_BERLIN', body);
    expect({ what, status: res.status, code: res.body.error?.code }).toEqual({ what, status: 400, code: 'VALIDATION_FAILED' });
    const problem = res.body.error.details.fields.find((f: { field: string }) => f.field === field);
    expect({ what, problem }).toEqual({ what, problem: { field, message: expect.stringMatching(message ?? /./) } });
  }
  const badCode = await put('de_berlin', berlin);
  expect(badCode.body.error.details.fields[0].field).toBe('code');
  expect((await get('/api/v1/calendars/DE_BERLIN?version=0')).body.error.details.fields[0].field).toBe('version');
  // Nothing of the refused bodies was stored.
  expect((await get('/api/v1/calendars/DE_BERLIN')).body.version).toBe(2);
});

test('organizations are isolated; every PUT is audited, success or refusal', async () => {
  const otherAdmin = await h.member((await h.organization()).id, ['admin', 'user']);
  const theirs = await get('/api/v1/calendars/DE_BERLIN', otherAdmin.token);
  expect(theirs.status).toBe(404);
  expect((await get('/api/v1/calendars', otherAdmin.token)).body.calendars).toEqual([]);
  // The same code in another organization is a calendar of its own.
  const own = await put('DE_BERLIN', { ...berlin, name: 'Theirs' }, otherAdmin.token);
  expect(own.body).toMatchObject({ version: 1, name: 'Theirs' });
  expect((await get('/api/v1/calendars/DE_BERLIN')).body).toMatchObject({ version: 2, name: 'Berlin office' });

  expect((await put('DE_BERLIN', { ...berlin, time_zone: 'Mars/Olympus' }, otherAdmin.token)).status).toBe(400);
  const audit = await get('/api/v1/audit?procedure_code=HERA.UNIV.WF.CALENDAR.PUT.V1', otherAdmin.token);
  expect(audit.body.events.map((e: Record<string, unknown>) => [e.outcome, e.error_code, e.actor_user_id])).toEqual([
    ['REFUSED', 'VALIDATION_FAILED', otherAdmin.userId],
    ['SUCCESS', null, otherAdmin.userId],
  ]);
});

// A folded line (CRLF and one space), an escaped comma, DATE values with and without VALUE=DATE, an alarm with a
// SUMMARY of its own, a two-day event, a timed event, a recurring one and a date given twice.
const ics = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//HERA tests//Holidays//EN',
  'BEGIN:VEVENT',
  'UID:newyear@hera.test',
  'DTSTART;VALUE=DATE:20270101',
  'DTEND;VALUE=DATE:20270102',
  'BEGIN:VALARM',
  'ACTION:EMAIL',
  'SUMMARY:Reminder',
  'END:VALARM',
  "SUMMARY:New Year's Day",
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:christmas@hera.test',
  'DTSTART;VALUE=DATE:20261225',
  'DTEND;VALUE=DATE:20261227',
  'SUMMARY:Christmas\\, Boxing Da',
  ' y',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:eve@hera.test',
  'DTSTART:20261224',
  'SUMMARY:Christmas Eve',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:party@hera.test',
  'DTSTART;TZID=Europe/London:20261218T180000',
  'SUMMARY:Office party',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:weekly@hera.test',
  'DTSTART;VALUE=DATE:20260105',
  'RRULE:FREQ=WEEKLY',
  'SUMMARY:Every Monday',
  'END:VEVENT',
  'BEGIN:VEVENT',
  'UID:boxing@hera.test',
  'DTSTART;VALUE=DATE:20261226',
  'SUMMARY:Boxing Day again',
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

test('an ICS file’s all-day events are holidays, named by their SUMMARY', () => {
  expect(holidaysFromIcs(ics)).toEqual({
    holidays: [
      { date: '2027-01-01', name: "New Year's Day" },
      { date: '2026-12-25', name: 'Christmas, Boxing Day' },
      { date: '2026-12-26', name: 'Christmas, Boxing Day' },
      { date: '2026-12-24', name: 'Christmas Eve' },
    ],
    skipped: [
      { summary: 'Office party', reason: 'not an all-day event (DTSTART has a time)' },
      { summary: 'Every Monday', reason: 'recurring (RRULE/RDATE): only single events are imported' },
      { summary: 'Boxing Day again', reason: '2026-12-26 is already taken by an earlier event' },
    ],
  });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `hera ...args` as an operator runs it, against the harness's API with `who`'s token. */
function hera(args: string[], who: Member): Promise<Run> {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, HERA_HOME: scratch, HERA_API_URL: h.api.url, HERA_TOKEN: who.token };
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code) : 0, stdout, stderr });
    });
  });
}

function file(name: string, text: string): string {
  const at = path.join(scratch, name);
  writeFileSync(at, text);
  return at;
}

test('hera calendars put / list / get / import against the API', async () => {
  const cliAdmin = await h.member((await h.organization()).id, ['admin', 'user']);
  const london = file(
    'london.yaml',
    [
      'code: UK_LONDON',
      'name: London office',
      'time_zone: Europe/London',
      'working_hours:',
      ...['mon', 'tue', 'wed', 'thu', 'fri'].map((day) => `  ${day}: [["09:00", "17:30"]]`),
      '  sat: []',
      '  sun: []',
      'holidays:',
      '  - { date: 2026-12-24, name: Office closed }',
      '',
    ].join('\n'),
  );
  const put = await hera(['calendars', 'put', london, '--json'], cliAdmin);
  expect(put).toMatchObject({ code: 0, stderr: '' });
  expect(JSON.parse(put.stdout)).toMatchObject({ code: 'UK_LONDON', version: 1, holidays: [{ date: '2026-12-24', name: 'Office closed' }] });

  const table = await hera(['calendars', 'list'], cliAdmin);
  expect(table.code).toBe(0);
  expect(table.stdout).toMatch(/^code +name +version +time_zone +holidays +effective_from\nUK_LONDON +London office +1 +Europe\/London +1 +\d{4}-/);

  const holidays = file('holidays.ics', ics);
  const imported = await hera(['calendars', 'import', holidays, '--code', 'UK_LONDON', '--json'], cliAdmin);
  expect(imported.code).toBe(0);
  expect(JSON.parse(imported.stdout)).toMatchObject({
    code: 'UK_LONDON',
    name: 'London office',
    version: 2,
    time_zone: 'Europe/London',
    // The date the calendar already listed keeps its entry.
    holidays: [
      { date: '2026-12-24', name: 'Office closed' },
      { date: '2026-12-25', name: 'Christmas, Boxing Day' },
      { date: '2026-12-26', name: 'Christmas, Boxing Day' },
      { date: '2027-01-01', name: "New Year's Day" },
    ],
  });
  expect(imported.stderr).toContain('skipped Office party: not an all-day event');
  // Imported again: nothing new, no new version.
  expect(JSON.parse((await hera(['calendars', 'import', holidays, '--code', 'UK_LONDON', '--json'], cliAdmin)).stdout).version).toBe(2);
  expect(JSON.parse((await hera(['calendars', 'get', 'UK_LONDON', '--version', '1', '--json'], cliAdmin)).stdout).holidays).toHaveLength(1);

  const notThere = await hera(['calendars', 'import', holidays, '--code', 'UK_EDINBURGH'], cliAdmin);
  expect(notThere).toMatchObject({ code: 2, stderr: expect.stringContaining('no calendar UK_EDINBURGH: give --time-zone and --working-hours') });
  const hours = JSON.stringify({ mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive, sat: [], sun: [] });
  const created = await hera(
    ['calendars', 'import', holidays, '--code', 'UK_EDINBURGH', '--name', 'Edinburgh', '--time-zone', 'Europe/London', '--working-hours', hours],
    cliAdmin,
  );
  expect(created.code).toBe(0);
  expect(created.stdout).toMatch(/^4 of 4 holidays in .*holidays\.ics added\n/);
  expect(created.stdout).toMatch(/\nname +Edinburgh\n/);

  const refused = await hera(['calendars', 'put', file('bad.json', JSON.stringify({ code: 'UK_LONDON', ...berlin, time_zone: 'Europe/Nowhere' }))], cliAdmin);
  expect(refused).toMatchObject({ code: 3, stdout: '', stderr: expect.stringMatching(/^VALIDATION_FAILED: .*time_zone/s) });
  const notAdmin = await hera(['calendars', 'put', london], await h.member(cliAdmin.organizationId, ['user']));
  expect(notAdmin).toMatchObject({ code: 3, stderr: expect.stringMatching(/^PERMISSION_DENIED: /) });
});
