/**
 * A business calendar as HERA stores one version of it, and the zone data its math runs on. Working time is
 * counted only inside the working hours of a local day, in the calendar's IANA time zone.
 */

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/** A local time range ["HH:MM", "HH:MM"], start < end; "24:00" may end a range (up to midnight). */
export type HourRange = [string, string];

export interface CalendarRules {
  /** IANA zone, e.g. "Europe/Berlin". */
  time_zone: string;
  /** Ordered, non-overlapping ranges per weekday; an empty list is a day off. */
  working_hours: Record<Weekday, HourRange[]>;
  /** Local dates ("YYYY-MM-DD") with no working time at all. */
  holidays: Array<{ date: string; name?: string }>;
  /** Local dates whose working hours replace the weekday's (an empty list is a day off). Wins over a holiday. */
  exceptions: Array<{ date: string; hours: HourRange[] }>;
}

/**
 * The UTC offsets of one zone over [from, to) (epoch ms), as the host's time-zone data gave them when resolved:
 * `transitions[i].offsetMinutes` (local = UTC + offset) holds from `transitions[i].at` until the next one; the
 * first starts at or before `from`. Workflow code computes with this data only, never with the host's.
 */
export interface ZoneRules {
  zone: string;
  from: number;
  to: number;
  transitions: Array<{ at: number; offsetMinutes: number }>;
}
