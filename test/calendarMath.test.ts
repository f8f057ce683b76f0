import fc from 'fast-check';
import { performance } from 'node:perf_hooks';
import { yearOutDeadline } from '../bench/support/yearOutDeadline';
import type { CalendarRules, HourRange, Weekday, ZoneRules } from '../src/domain/calendar/types';
import { compileCalendar } from '../src/domain/calendar/workingCalendar';
import { addWorkingMinutes, addWorkingMs, workingIntervals, workingMinutesBetween, workingMsBetween } from '../src/domain/calendar/workingTime';
import { isValidTimeZone, resolveZoneRules } from '../src/domain/calendar/zoneRules';

// Pure: no servers. Instants are written with the local offset they have, so each expectation reads as local time.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const at = (iso: string): number => Date.parse(iso);

const WEEKDAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const ZONES = ['Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Adelaide', 'UTC'];
/** Zones that change the clock at midnight, and by half an hour. */
const ODD_ZONES = ['Asia/Beirut', 'America/Santiago', 'Australia/Lord_Howe'];
const SPAN = { from: at('2025-12-01T00:00:00Z'), to: at('2028-01-01T00:00:00Z') };
const zones: Record<string, ZoneRules> = Object.fromEntries([...ZONES, ...ODD_ZONES].map((zone) => [zone, resolveZoneRules(zone, SPAN.from, SPAN.to)]));

function calendar(
  time_zone: string,
  hours: Partial<Record<Weekday, HourRange[]>>,
  dated: Partial<Pick<CalendarRules, 'holidays' | 'exceptions'>> = {},
): CalendarRules {
  const working_hours = Object.fromEntries(WEEKDAYS.map((day) => [day, hours[day] ?? []])) as Record<Weekday, HourRange[]>;
  return { time_zone, working_hours, holidays: [], exceptions: [], ...dated };
}
const weekdays = (hours: HourRange[]) => ({ mon: hours, tue: hours, wed: hours, thu: hours, fri: hours });
const everyDay = (hours: HourRange[]) => ({ ...weekdays(hours), sat: hours, sun: hours });
const office = (zone: string, dated: Partial<Pick<CalendarRules, 'holidays' | 'exceptions'>> = {}) =>
  calendar(zone, weekdays([['09:00', '17:00']]), dated);

const berlin = zones['Europe/Berlin'];
/** Friday 16:00 in Berlin: 8 working hours are 1 h that Friday and 7 h the next working day. */
const fridayLate = at('2026-11-27T16:00+01:00');

describe('resolveZoneRules', () => {
  const year = (zone: string) => resolveZoneRules(zone, at('2026-01-01T00:00Z'), at('2027-01-01T00:00Z'));
  // Resolution starts a day before the span (see LOOK_BACK_MS).
  const dayBefore = at('2025-12-31T00:00Z');

  test("finds Berlin's 2026 changes to the second", () =>
    expect(year('Europe/Berlin')).toEqual({
      zone: 'Europe/Berlin',
      from: at('2026-01-01T00:00Z'),
      to: at('2027-01-01T00:00Z'),
      transitions: [
        { at: dayBefore, offsetMinutes: 60 },
        { at: at('2026-03-29T01:00:00Z'), offsetMinutes: 120 },
        { at: at('2026-10-25T01:00:00Z'), offsetMinutes: 60 },
      ],
    }));

  test.each<[string, number, Array<[string, number]>]>([
    ['America/New_York', -300, [['2026-03-08T07:00:00Z', -240], ['2026-11-01T06:00:00Z', -300]]],
    ['Australia/Adelaide', 630, [['2026-04-04T16:30:00Z', 570], ['2026-10-03T16:30:00Z', 630]]],
    ['Asia/Kolkata', 330, []],
    ['Asia/Kathmandu', 345, []],
    ['UTC', 0, []],
  ])('finds the 2026 offsets of %s', (zone, first, changes) =>
    expect(year(zone).transitions).toEqual([
      { at: dayBefore, offsetMinutes: first },
      ...changes.map(([iso, offsetMinutes]) => ({ at: at(iso), offsetMinutes })),
    ]));

  test('a span starting in the hour the clock repeats still knows the clock was set back', () => {
    const repeated = resolveZoneRules('Europe/Berlin', at('2026-10-25T01:30Z'), at('2026-10-26T00:00Z'));
    expect(repeated.transitions.map((t) => t.at)).toContain(at('2026-10-25T01:00Z'));
    // The range starts at the first 02:45 and is still running when 02:30 is shown again.
    const night = calendar('Europe/Berlin', { sun: [['02:45', '03:15']] });
    expect(workingMsBetween(night, repeated, at('2026-10-25T01:30Z'), at('2026-10-25T02:00Z'))).toBe(30 * MINUTE);
    expect(workingMsBetween(night, berlin, at('2026-10-25T01:30Z'), at('2026-10-25T02:00Z'))).toBe(30 * MINUTE);
  });

  test('resolves three years of Europe/Berlin in well under 50 ms', () => {
    const from = at('2026-01-01T00:00Z');
    const took = [1, 2, 3].map(() => {
      const started = performance.now();
      resolveZoneRules('Europe/Berlin', from, from + 3 * 365 * DAY);
      return performance.now() - started;
    });
    expect(Math.min(...took)).toBeLessThan(50);
  });

  test('knows the zones the host knows, and refuses others', () => {
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('Asia/Kathmandu')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
    expect(() => resolveZoneRules('Mars/Olympus_Mons', SPAN.from, SPAN.to)).toThrow(RangeError);
  });
});

describe('deadlines and working time', () => {
  test('8 working hours from Friday 16:00 in Berlin (Mon–Fri 09:00–17:00) are due Monday 16:00', () => {
    const due = addWorkingMinutes(office('Europe/Berlin'), berlin, fridayLate, 8 * 60);
    expect(new Date(due).toISOString()).toBe('2026-11-30T15:00:00.000Z');
    expect(workingMinutesBetween(office('Europe/Berlin'), berlin, fridayLate, due)).toBe(8 * 60);
  });

  test('no working time added is the start itself, even outside working time', () =>
    expect(addWorkingMs(office('Europe/Berlin'), berlin, at('2026-11-28T12:00:00.123+01:00'), 0)).toBe(at('2026-11-28T12:00:00.123+01:00')));

  test('a start outside working time counts from the next working moment', () =>
    expect(addWorkingMinutes(office('Europe/Berlin'), berlin, at('2026-11-28T12:00+01:00'), 60)).toBe(at('2026-11-30T10:00+01:00')));

  test('time is counted to the millisecond; minutes may be fractional', () => {
    expect(addWorkingMs(office('Europe/Berlin'), berlin, at('2026-11-30T16:59:59.999+01:00'), 2)).toBe(at('2026-12-01T09:00:00.001+01:00'));
    expect(workingMinutesBetween(office('Europe/Berlin'), berlin, at('2026-11-30T09:00:30+01:00'), at('2026-11-30T10:00+01:00'))).toBe(59.5);
  });

  describe('a deadline at the end of a range is that end', () => {
    const lunch = calendar('Europe/Berlin', weekdays([['09:00', '12:00'], ['13:00', '17:00']]));
    const monday = at('2026-11-30T09:00+01:00');

    test('at the lunch break, the break starts', () => expect(addWorkingMinutes(lunch, berlin, monday, 3 * 60)).toBe(at('2026-11-30T12:00+01:00')));
    test('a millisecond more is after the break', () => expect(addWorkingMs(lunch, berlin, monday, 3 * HOUR + 1)).toBe(at('2026-11-30T13:00:00.001+01:00')));
    test('at the end of the day, the day ends', () => expect(addWorkingMinutes(lunch, berlin, monday, 7 * 60)).toBe(at('2026-11-30T17:00+01:00')));
    test('ranges that touch are one stretch', () => {
      const touching = calendar('Europe/Berlin', { mon: [['09:00', '12:00'], ['12:00', '17:00']] });
      expect(workingMinutesBetween(touching, berlin, monday, at('2026-12-01T00:00+01:00'))).toBe(8 * 60);
    });
  });

  describe('holidays and exceptions', () => {
    test('a holiday on a weekend changes nothing', () =>
      expect(addWorkingMinutes(office('Europe/Berlin', { holidays: [{ date: '2026-11-28', name: 'Saturday' }] }), berlin, fridayLate, 8 * 60)).toBe(
        at('2026-11-30T16:00+01:00'),
      ));

    test('a holiday on a weekday skips the day', () =>
      expect(addWorkingMinutes(office('Europe/Berlin', { holidays: [{ date: '2026-11-30' }] }), berlin, fridayLate, 8 * 60)).toBe(
        at('2026-12-01T16:00+01:00'),
      ));

    test('an exception on a Saturday adds its hours', () =>
      expect(addWorkingMinutes(office('Europe/Berlin', { exceptions: [{ date: '2026-11-28', hours: [['10:00', '14:00']] }] }), berlin, fridayLate, 8 * 60)).toBe(
        at('2026-11-30T12:00+01:00'),
      ));

    test('an exception on a holiday wins', () => {
      const rules = office('Europe/Berlin', { holidays: [{ date: '2026-11-30' }], exceptions: [{ date: '2026-11-30', hours: [['13:00', '15:00']] }] });
      expect(addWorkingMinutes(rules, berlin, fridayLate, 8 * 60)).toBe(at('2026-12-01T14:00+01:00'));
    });

    test('an exception without hours is a day off', () =>
      expect(addWorkingMinutes(office('Europe/Berlin', { exceptions: [{ date: '2026-11-30', hours: [] }] }), berlin, fridayLate, 8 * 60)).toBe(
        at('2026-12-01T16:00+01:00'),
      ));
  });

  describe('sparse and full calendars', () => {
    test('a weekday without hours is skipped', () => {
      const noWednesday = calendar('Europe/Berlin', { ...weekdays([['09:00', '17:00']]), wed: [] });
      expect(addWorkingMinutes(noWednesday, berlin, at('2026-12-01T16:00+01:00'), 2 * 60)).toBe(at('2026-12-03T10:00+01:00'));
    });

    test('a calendar with one working day a week', () => {
      const wednesdays = calendar('Europe/Berlin', { wed: [['10:00', '12:00']] });
      expect(addWorkingMinutes(wednesdays, berlin, at('2026-11-26T10:00+01:00'), 3 * 60)).toBe(at('2026-12-09T11:00+01:00'));
      expect(workingMinutesBetween(wednesdays, berlin, at('2026-11-26T00:00+01:00'), at('2026-12-24T00:00+01:00'))).toBe(4 * 2 * 60);
    });

    test('a 24 h calendar counts every millisecond', () => {
      const always = calendar('UTC', everyDay([['00:00', '24:00']]));
      const start = at('2026-05-13T07:31:12.345Z');
      expect(addWorkingMs(always, zones.UTC, start, 10 * DAY + 17)).toBe(start + 10 * DAY + 17);
      expect(workingMsBetween(always, zones.UTC, start, start + 3 * DAY + 5)).toBe(3 * DAY + 5);
    });
  });

  describe('across a change of the clock, ranges last their real elapsed time', () => {
    test.each([
      ['Europe/Berlin', '2026-03-29T00:00+01:00', 23, '2026-03-30T00:00+02:00'],
      ['Europe/Berlin', '2026-10-25T00:00+02:00', 25, '2026-10-26T00:00+01:00'],
      ['America/New_York', '2026-03-08T00:00-05:00', 23, '2026-03-09T00:00-04:00'],
      ['America/New_York', '2026-11-01T00:00-04:00', 25, '2026-11-02T00:00-05:00'],
      ['Australia/Adelaide', '2026-04-05T00:00+10:30', 25, '2026-04-06T00:00+09:30'],
      ['Australia/Adelaide', '2026-10-04T00:00+09:30', 23, '2026-10-05T00:00+10:30'],
    ])('%s, the Sunday starting %s has %i h', (zone, midnight, hours, nextMidnight) => {
      const always = calendar(zone, everyDay([['00:00', '24:00']]));
      const sundays = calendar(zone, { sun: [['00:00', '24:00']] });
      const week = [at(midnight) - 3 * DAY, at(midnight) + 4 * DAY] as const;
      expect(at(nextMidnight) - at(midnight)).toBe(hours * HOUR);
      expect(workingMsBetween(always, zones[zone], at(midnight), at(nextMidnight))).toBe(hours * HOUR);
      expect(workingMsBetween(sundays, zones[zone], ...week)).toBe(hours * HOUR);
      expect(addWorkingMs(sundays, zones[zone], week[0], hours * HOUR)).toBe(at(nextMidnight));
      expect(addWorkingMs(always, zones[zone], at(midnight) - 5 * HOUR, 2 * DAY)).toBe(at(midnight) - 5 * HOUR + 2 * DAY);
    });

    const saturday = at('2026-03-28T12:00+01:00');
    const autumnSaturday = at('2026-10-24T12:00+02:00');
    const nights = (hours: HourRange[]) => calendar('Europe/Berlin', { sun: hours });

    test('01:00–05:00 lasts 3 h on the spring-forward night, 5 h on the fall-back one', () => {
      expect(workingMsBetween(nights([['01:00', '05:00']]), berlin, saturday, saturday + 2 * DAY)).toBe(3 * HOUR);
      expect(workingMsBetween(nights([['01:00', '05:00']]), berlin, autumnSaturday, autumnSaturday + 2 * DAY)).toBe(5 * HOUR);
    });

    test('a time the clock skips begins at the moment after the gap', () => {
      // 02:30 does not exist on 29 March: the range starts when the clock jumps from 02:00 to 03:00.
      expect(addWorkingMinutes(nights([['02:30', '05:00']]), berlin, saturday, 1)).toBe(at('2026-03-29T03:01+02:00'));
      expect(workingMsBetween(nights([['02:30', '05:00']]), berlin, saturday, saturday + 2 * DAY)).toBe(2 * HOUR);
      expect(workingMsBetween(nights([['01:00', '02:30']]), berlin, saturday, saturday + 2 * DAY)).toBe(HOUR);
    });

    test('a time the clock shows twice is taken at its first showing', () => {
      // 02:30 is shown at 02:30 summer time and again at 02:30 winter time: the first one counts.
      expect(addWorkingMinutes(nights([['02:30', '05:00']]), berlin, autumnSaturday, 1)).toBe(at('2026-10-25T02:31+02:00'));
      expect(addWorkingMinutes(nights([['02:30', '05:00']]), berlin, autumnSaturday, 3.5 * 60)).toBe(at('2026-10-25T05:00+01:00'));
      expect(addWorkingMinutes(nights([['00:00', '02:30']]), berlin, autumnSaturday, 2.5 * 60)).toBe(at('2026-10-25T02:30+02:00'));
      expect(workingMsBetween(nights([['00:00', '02:30']]), berlin, autumnSaturday, autumnSaturday + 2 * DAY)).toBe(2.5 * HOUR);
    });

    test('set back at midnight (Beirut, 24:00 to 23:00), the hour shown twice ends the day before', () => {
      const evenings = calendar('Asia/Beirut', { sat: [['22:00', '24:00']], sun: [['00:00', '01:00']] });
      const beirut = zones['Asia/Beirut'];
      expect(workingMsBetween(evenings, beirut, at('2026-10-24T00:00+03:00'), at('2026-10-25T00:00+02:00'))).toBe(3 * HOUR);
      expect(addWorkingMinutes(evenings, beirut, at('2026-10-24T00:00+03:00'), 3 * 60)).toBe(at('2026-10-25T00:00+02:00'));
      expect(workingMsBetween(evenings, beirut, at('2026-10-25T00:00+02:00'), at('2026-10-26T00:00+02:00'))).toBe(HOUR);
    });

    test('New York: 01:00–05:00 lasts 3 h in March and 5 h in November', () => {
      const ny = calendar('America/New_York', { sun: [['01:00', '05:00']] });
      const zone = zones['America/New_York'];
      expect(workingMsBetween(ny, zone, at('2026-03-07T00:00-05:00'), at('2026-03-09T00:00-04:00'))).toBe(3 * HOUR);
      expect(workingMsBetween(ny, zone, at('2026-10-31T00:00-04:00'), at('2026-11-02T00:00-05:00'))).toBe(5 * HOUR);
    });
  });

  describe('offsets of half and three quarters of an hour', () => {
    test('Asia/Kolkata (+05:30)', () =>
      expect(addWorkingMinutes(office('Asia/Kolkata'), zones['Asia/Kolkata'], at('2026-06-01T08:00Z'), 8 * 60)).toBe(at('2026-06-02T13:30+05:30')));

    test('Asia/Kathmandu (+05:45)', () =>
      expect(addWorkingMinutes(office('Asia/Kathmandu'), zones['Asia/Kathmandu'], at('2026-06-01T00:00Z'), 60)).toBe(at('2026-06-01T10:00+05:45')));

    test('Australia/Adelaide in summer (+10:30) and winter (+09:30)', () => {
      const adelaide = zones['Australia/Adelaide'];
      expect(addWorkingMinutes(office('Australia/Adelaide'), adelaide, at('2026-01-09T16:00+10:30'), 2 * 60)).toBe(at('2026-01-12T10:00+10:30'));
      expect(addWorkingMinutes(office('Australia/Adelaide'), adelaide, at('2026-06-05T16:00+09:30'), 2 * 60)).toBe(at('2026-06-08T10:00+09:30'));
    });
  });

  describe('refusals', () => {
    test('a span beyond the zone rules: resolve a longer one', () => {
      const week = resolveZoneRules('Europe/Berlin', at('2026-11-23T00:00Z'), at('2026-11-30T00:00Z'));
      expect(() => addWorkingMinutes(office('Europe/Berlin'), week, fridayLate, 8 * 60)).toThrow(/resolve a longer span/);
      expect(() => workingMsBetween(office('Europe/Berlin'), week, fridayLate, at('2026-12-01T00:00Z'))).toThrow(/resolve a longer span/);
      expect(() => addWorkingMinutes(office('Europe/Berlin'), week, at('2026-11-01T00:00Z'), 60)).toThrow(/resolve a longer span/);
    });

    test('a calendar without working time ahead', () => {
      const never = calendar('Europe/Berlin', {}, { exceptions: [{ date: '2026-01-05', hours: [['09:00', '10:00']] }] });
      expect(() => addWorkingMinutes(never, berlin, fridayLate, 1)).toThrow(new RangeError('the calendar has no working time after 2026-11-27T15:00:00.000Z'));
      expect(workingMsBetween(never, berlin, SPAN.from, SPAN.to)).toBe(HOUR);
    });

    test('zone rules of another zone', () =>
      expect(() => addWorkingMinutes(office('Europe/Berlin'), zones.UTC, fridayLate, 60)).toThrow(/time zone is Europe\/Berlin, the zone rules are for UTC/));

    test.each<[string, Partial<Record<Weekday, HourRange[]>>, Partial<Pick<CalendarRules, 'holidays' | 'exceptions'>>, RegExp]>([
      ['an hour without two digits', { mon: [['9:00', '17:00']] }, {}, /"9:00" is no time of day/],
      ['a range ending before it starts', { mon: [['17:00', '09:00']] }, {}, /does not end after it starts/],
      ['overlapping ranges', { mon: [['09:00', '12:00'], ['11:00', '17:00']] }, {}, /overlaps/],
      ['a range past midnight', { mon: [['22:00', '24:30']] }, {}, /is no time of day/],
      ['a date that does not exist', {}, { holidays: [{ date: '2026-02-29' }] }, /"2026-02-29" is no date/],
      ['an exception given twice', {}, { exceptions: [{ date: '2026-12-24', hours: [] }, { date: '2026-12-24', hours: [] }] }, /given twice/],
    ])('a calendar with %s', (_what, hours, dated, message) => {
      const rules = calendar('Europe/Berlin', hours, dated);
      expect(() => compileCalendar(rules)).toThrow(message);
      expect(() => addWorkingMinutes(rules, berlin, fridayLate, 60)).toThrow(RangeError);
    });

    test('negative working time and spans that end before they start', () => {
      expect(() => addWorkingMinutes(office('Europe/Berlin'), berlin, fridayLate, -1)).toThrow(RangeError);
      expect(() => addWorkingMs(office('Europe/Berlin'), berlin, fridayLate, Number.NaN)).toThrow(RangeError);
      expect(() => workingMsBetween(office('Europe/Berlin'), berlin, fridayLate, fridayLate - 1)).toThrow(RangeError);
    });
  });
});

/**
 * The reference: whether the minute starting at `t` is working time, from the local time the zone's offsets give,
 * looked up in the rules as written. After the clock is set back it shows times it has shown before; until it
 * passes them again, the minute is read as the last minute before the setback (taking a time shown twice at its
 * first showing means the range running then goes on).
 */
function referenceIsWorking(rules: CalendarRules, zone: ZoneRules, t: number): boolean {
  let offset = zone.transitions[0].offsetMinutes;
  let shown = -Infinity;
  for (let i = 1; i < zone.transitions.length && zone.transitions[i].at <= t; i++) {
    shown = Math.max(shown, zone.transitions[i].at + offset * MINUTE);
    offset = zone.transitions[i].offsetMinutes;
  }
  const local = new Date(t + offset * MINUTE >= shown ? t + offset * MINUTE : shown - MINUTE);
  const date = local.toISOString().slice(0, 10);
  const minute = local.getUTCHours() * 60 + local.getUTCMinutes();
  const exception = rules.exceptions.find((e) => e.date === date);
  const holiday = rules.holidays.some((h) => h.date === date);
  const hours = exception ? exception.hours : holiday ? [] : rules.working_hours[WEEKDAYS[(local.getUTCDay() + 6) % 7]];
  const minuteOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3));
  return hours.some(([start, end]) => minuteOf(start) <= minute && minute < minuteOf(end));
}

const hhmm = (minute: number) => `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

/** Ordered, non-overlapping ranges on multiples of `step` minutes, up to three a day. */
const rangesArb = (step: number) =>
  fc.uniqueArray(fc.integer({ min: 0, max: 1440 / step }), { maxLength: 6 }).map((points) => {
    const sorted = points.map((p) => p * step).sort((a, b) => a - b);
    const hours: HourRange[] = [];
    for (let i = 0; i + 1 < sorted.length; i += 2) hours.push([hhmm(sorted[i]), hhmm(sorted[i + 1])]);
    return hours;
  });

/** Where spans start: around each zone's changes of 2026, and on a plain day. */
const anchors = [...new Set([...ZONES, ...ODD_ZONES].flatMap((zone) => zones[zone].transitions.map((t) => t.at)).filter((t) => t >= at('2026-01-01T00:00Z')))];
anchors.push(at('2026-06-15T00:00Z'));

interface Scenario {
  rules: CalendarRules;
  zone: ZoneRules;
  /** On a whole minute; the span is `minutes` long. */
  from: number;
  minutes: number;
  /** Per mille of the span's working time, for picking an amount to add. */
  share: number;
}

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    zone: fc.constantFrom(...ZONES, ...ODD_ZONES),
    anchor: fc.constantFrom(...anchors),
    shift: fc.integer({ min: -6 * 1440, max: 4 * 1440 }),
    minutes: fc.integer({ min: 1, max: 10 * 1440 }),
    share: fc.integer({ min: 0, max: 1000 }),
    step: fc.constantFrom(1, 15),
  })
  .chain(({ zone, anchor, shift, minutes, share, step }) => {
    const from = anchor + shift * MINUTE;
    // Dates from the day before the span to the day after it, whatever the offset.
    const date = (day: number) => new Date(from - DAY + day * DAY).toISOString().slice(0, 10);
    const dayArb = fc.integer({ min: 0, max: 12 });
    return fc
      .record({
        week: fc.tuple(...WEEKDAYS.map(() => rangesArb(step))),
        holidays: fc.uniqueArray(dayArb, { maxLength: 3 }),
        exceptions: fc.uniqueArray(fc.record({ day: dayArb, hours: rangesArb(step) }), { maxLength: 3, selector: (e) => e.day }),
      })
      .map(({ week, holidays, exceptions }) => ({
        rules: {
          time_zone: zone,
          working_hours: Object.fromEntries(WEEKDAYS.map((day, i) => [day, week[i]])) as Record<Weekday, HourRange[]>,
          holidays: holidays.map((day) => ({ date: date(day) })),
          exceptions: exceptions.map((e) => ({ date: date(e.day), hours: e.hours })),
        },
        zone: zones[zone],
        from,
        minutes,
        share,
      }));
  });

/** Whether each minute of the span is working, by the reference. */
const referenceMinutes = ({ rules, zone, from, minutes }: Scenario): boolean[] =>
  Array.from({ length: minutes }, (_, i) => referenceIsWorking(rules, zone, from + i * MINUTE));

describe('workingIntervals', () => {
  const lunch = calendar('Europe/Berlin', weekdays([['09:00', '12:00'], ['13:00', '17:00']]));
  const spans = (list: Array<[string, string]>) => list.map(([start, end]) => ({ start: at(start), end: at(end) }));

  test('Friday 16:00 to Tuesday 12:00 in Berlin: each range as real time, the weekend and the lunch break left out', () =>
    expect(workingIntervals(lunch, berlin, fridayLate, at('2026-12-01T12:00+01:00'), 10)).toEqual({
      intervals: spans([
        ['2026-11-27T16:00+01:00', '2026-11-27T17:00+01:00'],
        ['2026-11-30T09:00+01:00', '2026-11-30T12:00+01:00'],
        ['2026-11-30T13:00+01:00', '2026-11-30T17:00+01:00'],
        ['2026-12-01T09:00+01:00', '2026-12-01T12:00+01:00'],
      ]),
      truncated: false,
    }));

  test('ranges that meet across midnight are one interval, of its real length across a change of the clock', () => {
    const always = calendar('Europe/Berlin', everyDay([['00:00', '24:00']]));
    const from = at('2026-10-24T12:00+02:00');
    expect(workingIntervals(always, berlin, from, from + 2 * DAY, 10)).toEqual({ intervals: [{ start: from, end: from + 2 * DAY }], truncated: false });
  });

  test('the first `limit` only, and whether more follow', () => {
    const week = [at('2026-11-30T00:00+01:00'), at('2026-12-07T00:00+01:00')] as const;
    expect(workingIntervals(lunch, berlin, ...week, 3)).toMatchObject({ intervals: { length: 3 }, truncated: true });
    expect(workingIntervals(lunch, berlin, ...week, 10)).toMatchObject({ intervals: { length: 10 }, truncated: false });
    expect(workingIntervals(lunch, berlin, week[0], week[0], 10)).toEqual({ intervals: [], truncated: false });
  });
});

describe('against a minute-by-minute reference (random calendars, nine zones, spans up to 10 days)', () => {
  const runs = { numRuns: 200 };

  test('workingMsBetween counts what the reference counts', () =>
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const working = referenceMinutes(s).filter(Boolean).length;
        expect(workingMsBetween(s.rules, s.zone, s.from, s.from + s.minutes * MINUTE)).toBe(working * MINUTE);
      }),
      runs,
    ), 120_000);

  test('addWorkingMs is the first instant by which that much working time has passed', () =>
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const minutes = referenceMinutes(s);
        const wanted = Math.floor((minutes.filter(Boolean).length * s.share) / 1000);
        let expected = s.from;
        for (let i = 0, counted = 0; counted < wanted; i++) {
          if (minutes[i]) counted++;
          expected = s.from + (i + 1) * MINUTE;
        }
        expect(addWorkingMs(compileCalendar(s.rules), s.zone, s.from, wanted * MINUTE)).toBe(expected);
      }),
      runs,
    ), 120_000);

  test('to the millisecond, addWorkingMs is the smallest t with workingMsBetween(start, t) equal to the amount', () =>
    fc.assert(
      fc.property(scenarioArb, fc.integer({ min: 0, max: 59_999 }), (s, ms) => {
        const working = compileCalendar(s.rules);
        const start = s.from + ms;
        const amount = Math.floor((workingMsBetween(working, s.zone, start, s.from + s.minutes * MINUTE) * s.share) / 1000);
        const due = addWorkingMs(working, s.zone, start, amount);
        expect(workingMsBetween(working, s.zone, start, due)).toBe(amount);
        if (amount > 0) expect(workingMsBetween(working, s.zone, start, due - 1)).toBeLessThan(amount);
      }),
      runs,
    ), 120_000);

  test('workingIntervals are working throughout, apart from each other, and hold all the working time', () =>
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const working = compileCalendar(s.rules);
        const to = s.from + s.minutes * MINUTE;
        const { intervals, truncated } = workingIntervals(working, s.zone, s.from, to, Infinity);
        expect(truncated).toBe(false);
        intervals.forEach(({ start, end }, i) => {
          expect(workingMsBetween(working, s.zone, start, end)).toBe(end - start);
          if (i > 0) expect(start).toBeGreaterThan(intervals[i - 1].end);
        });
        expect(intervals.reduce((sum, { start, end }) => sum + end - start, 0)).toBe(workingMsBetween(working, s.zone, s.from, to));
      }),
      runs,
    ), 120_000);

  test('working time adds up: between(a, b) + between(b, c) = between(a, c)', () =>
    fc.assert(
      fc.property(scenarioArb, fc.array(fc.nat(), { minLength: 3, maxLength: 3 }), (s, cuts) => {
        const working = compileCalendar(s.rules);
        const [a, b, c] = cuts.map((cut) => s.from + (cut % (s.minutes * MINUTE))).sort((x, y) => x - y);
        expect(workingMsBetween(working, s.zone, a, b) + workingMsBetween(working, s.zone, b, c)).toBe(workingMsBetween(working, s.zone, a, c));
      }),
      runs,
    ), 120_000);
});

test('a deadline a year out takes well under 50 µs (asserted loosely: a mean under 200 µs over 1,000)', () => {
  const { rules, zone, startMs, minutes } = yearOutDeadline();
  const working = compileCalendar(rules);
  // 253 working days are left in 2026 after its holidays; the 7th working day of 2027 ends it.
  expect(addWorkingMinutes(working, zone, startMs, minutes)).toBe(at('2027-01-11T17:00+01:00'));
  for (let i = 0; i < 1000; i++) addWorkingMinutes(working, zone, startMs, minutes);
  const started = performance.now();
  for (let i = 0; i < 1000; i++) addWorkingMinutes(working, zone, startMs, minutes);
  expect(((performance.now() - started) / 1000) * 1000).toBeLessThan(200);
});

test("the math never reads the host's time-zone data", () => {
  const rules = office('Europe/Berlin', { holidays: [{ date: '2026-11-30' }] });
  const compute = () => [
    addWorkingMinutes(rules, berlin, fridayLate, 8 * 60),
    addWorkingMinutes(compileCalendar(rules), berlin, at('2026-10-24T12:00+02:00'), 40 * 60),
    workingMsBetween(rules, berlin, at('2026-03-01T00:00Z'), at('2026-11-01T00:00Z')),
  ];
  const expected = compute();
  const localDate = ['getTimezoneOffset', 'getFullYear', 'getMonth', 'getDate', 'getDay', 'getHours', 'getMinutes', 'toString', 'toLocaleString'];
  const hostZoneReads: Array<[object, string]> = [
    [Intl, 'DateTimeFormat'],
    [Intl.DateTimeFormat.prototype, 'format'],
    [Intl.DateTimeFormat.prototype, 'formatToParts'],
    ...localDate.map((name): [object, string] => [Date.prototype, name]),
  ];
  const saved = hostZoneReads.map(([target, name]) => Object.getOwnPropertyDescriptor(target, name)!);
  const refuse = (name: string) => () => {
    throw new Error(`read the host's time-zone data: ${name}`);
  };
  let refused: unknown;
  let computed: number[] = [];
  try {
    for (const [target, name] of hostZoneReads) Object.defineProperty(target, name, { configurable: true, writable: true, value: refuse(name) });
    try {
      resolveZoneRules('Europe/Paris', SPAN.from, SPAN.to);
    } catch (error) {
      refused = error;
    }
    computed = compute();
  } finally {
    hostZoneReads.forEach(([target, name], i) => Object.defineProperty(target, name, saved[i]));
  }
  // The stand-ins do refuse: resolving zone rules, which reads the host's data, failed.
  expect(refused).toBeInstanceOf(Error);
  expect(computed).toEqual(expected);
});
