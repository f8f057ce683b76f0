import { z } from 'zod';
import type { CalendarRules, Weekday } from '../domain/calendar/types';
import { upperCode } from '../definitions/schema';

const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const satisfies readonly Weekday[];

/** Area/Location as IANA spells it (capitalized segments): keeps case variants and UTC offsets out. */
const ianaSpelling = /^[A-Z][A-Za-z0-9_+-]*(?:\/[A-Z][A-Za-z0-9_+-]*)*$/;

/** The zone this host's time-zone data resolves `zone` to, or undefined when it does not know it. */
function resolvedZone(zone: string): string | undefined {
  try {
    return new Intl.DateTimeFormat(undefined, { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/**
 * An IANA zone name the host knows, spelled as IANA spells it. Not restricted to `Intl.supportedValuesOf`: Node's
 * list keeps ICU's older names (Asia/Calcutta, Europe/Kiev) and leaves out IANA's current ones and UTC.
 */
const timeZoneSchema = z
  .string()
  .max(64)
  .superRefine((zone, ctx) => {
    const resolved = resolvedZone(zone);
    if (resolved !== undefined && ianaSpelling.test(zone)) return;
    ctx.addIssue({
      code: 'custom',
      message: resolved ? `spell the zone as IANA does, such as ${resolved}` : 'not an IANA time zone such as Europe/Berlin or UTC',
    });
  });

/** Minutes after local midnight of "HH:MM" ("24:00" is 1440). */
function minutesOf(time: string): number {
  return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
}

const time = z.string().regex(/^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/, 'a local time "HH:MM" from 00:00 to 24:00');

const range = z.tuple([time, time]).refine(([start, end]) => minutesOf(start) < minutesOf(end), 'the start must be before the end');

/** One day's working time: ranges in time order that do not overlap (one may start where the previous ends). */
const ranges = z
  .array(range, { error: (issue) => (issue.input === undefined ? 'required: give [] for a day off' : undefined) })
  .max(48)
  .superRefine((day, ctx) => {
    day.forEach(([start], i) => {
      if (i === 0) return;
      const [previousStart, previousEnd] = day[i - 1];
      if (minutesOf(start) < minutesOf(previousStart)) ctx.addIssue({ code: 'custom', path: [i], message: 'ranges must be in time order' });
      else if (minutesOf(start) < minutesOf(previousEnd)) ctx.addIssue({ code: 'custom', path: [i], message: `overlaps the range before it (until ${previousEnd})` });
    });
  });

const daysInMonth = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whether "YYYY-MM-DD" names a day of the Gregorian calendar (2026-02-30 does not). */
export function isCalendarDate(date: string): boolean {
  const [year, month, day] = date.split('-').map(Number);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth[month - 1] + (month === 2 && leap ? 1 : 0);
}

const date = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a local date "YYYY-MM-DD"')
  .refine(isCalendarDate, 'not a day of the calendar');

/** Refuses a second entry for a date: which of two would hold is not for the reader to guess. */
function uniqueDates(entries: Array<{ date: string }>, ctx: z.RefinementCtx) {
  const seen = new Set<string>();
  entries.forEach((entry, i) => {
    if (seen.has(entry.date)) ctx.addIssue({ code: 'custom', path: [i, 'date'], message: `${entry.date} is listed twice` });
    seen.add(entry.date);
  });
}

const byDate = (a: { date: string }, b: { date: string }) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0);

/** A holiday as a bare date or `{date, name}`; stored as `{date, name?}`. */
const holiday = z
  .union([z.string().transform((text) => ({ date: text })), z.strictObject({ date: z.string(), name: z.string().optional() })], {
    error: 'a date "YYYY-MM-DD" or {date, name}',
  })
  .pipe(z.strictObject({ date, name: z.string().trim().min(1).max(200).optional() }));

/**
 * One version's rules, exactly `CalendarRules`. Holidays and exceptions are stored in date order, so the same
 * days given in another order are the same version.
 */
const calendarRulesSchema = z.strictObject({
  time_zone: timeZoneSchema,
  // Every weekday must be given (`[]` for a day off): a day left out would otherwise be a silent day off.
  working_hours: z
    .strictObject({ mon: ranges, tue: ranges, wed: ranges, thu: ranges, fri: ranges, sat: ranges, sun: ranges })
    .refine((week) => weekdays.some((day) => week[day].length > 0), 'at least one weekday needs working hours'),
  holidays: z
    .array(holiday)
    .max(5000)
    .superRefine(uniqueDates)
    .transform((days) => days.sort(byDate))
    .default([]),
  exceptions: z
    .array(z.strictObject({ date, hours: ranges }))
    .max(5000)
    .superRefine(uniqueDates)
    .transform((days) => days.sort(byDate))
    .default([]),
}) satisfies z.ZodType<CalendarRules>;

/** A calendar as an admin PUTs it: its code (from the path), a display name and the rules. */
export const calendarSchema = calendarRulesSchema.extend({
  code: upperCode,
  name: z.string().trim().min(1).max(200),
});

export type CalendarChange = z.output<typeof calendarSchema>;
