import type { CalendarRules, HourRange, Weekday } from './types';

/**
 * A calendar's working time on its local clock, where an instant is "local ms": milliseconds since 1970-01-01
 * 00:00 as the calendar's wall clock shows it, so a local day is always 24 h long. No time zone is involved here:
 * `workingTime.ts` maps real instants onto this clock with a zone's carried offsets.
 */

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

/** Monday first, as `weekdayOf` counts. */
const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** A calendar prepared once for counting; build it with `compileCalendar` and reuse it for every computation. */
export interface WorkingCalendar {
  readonly timeZone: string;
  /** Per weekday, Monday first: working ranges as flat [start, end, start, end, …] in ms after local midnight. */
  readonly week: readonly (readonly number[])[];
  /** Dates that differ from their weekday, by local day number (days since 1970-01-01): a holiday has no ranges. */
  readonly dates: ReadonlyMap<number, readonly number[]>;
  /** Whether any weekday has working time: without it, only the dated exceptions do. */
  readonly worksWeekly: boolean;
  /** The last local day whose exception has working time (-Infinity if none). */
  readonly lastWorkingException: number;
}

/** Parses and checks the rules once; throws a RangeError naming the first malformed hour range or date. */
export function compileCalendar(rules: CalendarRules): WorkingCalendar {
  const week = WEEKDAYS.map((weekday) => ranges(rules.working_hours[weekday], weekday));
  const dates = new Map<number, readonly number[]>();
  for (const holiday of rules.holidays) dates.set(dayNumber(holiday.date), []);
  const excepted = new Set<number>();
  let lastWorkingException = -Infinity;
  for (const exception of rules.exceptions) {
    const day = dayNumber(exception.date);
    if (excepted.has(day)) throw new RangeError(`exceptions: ${exception.date} is given twice`);
    excepted.add(day);
    const hours = ranges(exception.hours, exception.date);
    dates.set(day, hours);
    if (hours.length > 0) lastWorkingException = Math.max(lastWorkingException, day);
  }
  return { timeZone: rules.time_zone, week, dates, worksWeekly: week.some((r) => r.length > 0), lastWorkingException };
}

/** Day number of a local "YYYY-MM-DD" date (days-from-civil, proleptic Gregorian): integers only, no Date. */
function dayNumber(date: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const [year, month, day] = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [0, 0, 0];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) throw new RangeError(`${JSON.stringify(date)} is no date (YYYY-MM-DD)`);
  // Counted in eras of 400 years from 0000-03-01, so that the leap day ends a year.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

/** The working ranges of a local day: its exception's, none on a holiday, else its weekday's. */
function rangesOn(calendar: WorkingCalendar, day: number): readonly number[] {
  return calendar.dates.get(day) ?? calendar.week[weekdayOf(day)];
}

/** Monday is 0; day 0 (1970-01-01) was a Thursday. */
function weekdayOf(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}

/** Whether working time runs up to the local clock reading `local`: whether a range holds the moments just before it. */
export function worksUpTo(calendar: WorkingCalendar, local: number): boolean {
  const day = Math.ceil(local / DAY_MS) - 1;
  const time = local - day * DAY_MS;
  const ranges = rangesOn(calendar, day);
  for (let i = 0; i < ranges.length; i += 2) if (ranges[i] < time && time <= ranges[i + 1]) return true;
  return false;
}

/**
 * Counts working time on the local clock from `from` until `budget` ms are counted or `to` is reached. `at` is where
 * the count stopped: the moment the budget was used up (the end of a range rather than the start of the next), else
 * `to`. An infinite budget counts all working time in [from, to). Given `stretches`, each counted stretch is appended
 * to it as a local start and end.
 */
export function countOnClock(calendar: WorkingCalendar, from: number, to: number, budget: number, stretches?: number[]): { at: number; counted: number } {
  let counted = 0;
  for (let day = Math.floor(from / DAY_MS), midnight = day * DAY_MS; midnight < to; day++, midnight += DAY_MS) {
    // Nothing ahead can be working: stop rather than walk the rest of a long span.
    if (!calendar.worksWeekly && day > calendar.lastWorkingException) break;
    const ranges = rangesOn(calendar, day);
    for (let i = 0; i < ranges.length; i += 2) {
      // Comparisons, not Math.max/min: workflow code runs in a vm context, where each lookup of a global is slow.
      const start = midnight + ranges[i] > from ? midnight + ranges[i] : from;
      const end = midnight + ranges[i + 1] < to ? midnight + ranges[i + 1] : to;
      if (end <= start) continue;
      if (end - start >= budget - counted) {
        stretches?.push(start, start + (budget - counted));
        return { at: start + (budget - counted), counted: budget };
      }
      stretches?.push(start, end);
      counted += end - start;
    }
  }
  return { at: to, counted };
}

/** Ordered, non-overlapping ranges as flat ms after midnight; `where` names them in errors. */
function ranges(hours: HourRange[], where: string): number[] {
  const flat: number[] = [];
  for (const [from, to] of hours) {
    const start = timeOfDay(from, where);
    const end = timeOfDay(to, where);
    if (end <= start) throw new RangeError(`${where}: ${from}–${to} does not end after it starts`);
    if (flat.length > 0 && start < flat[flat.length - 1]) throw new RangeError(`${where}: ${from}–${to} overlaps or precedes the range before it`);
    flat.push(start, end);
  }
  return flat;
}

/** "HH:MM" (00:00 to 24:00) as ms after midnight. */
function timeOfDay(time: string, where: string): number {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/.exec(time);
  if (!match) throw new RangeError(`${where}: ${JSON.stringify(time)} is no time of day (HH:MM, up to 24:00)`);
  return match[1] === undefined ? DAY_MS : (Number(match[1]) * 60 + Number(match[2])) * MINUTE_MS;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
