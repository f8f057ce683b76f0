import { findCalendarVersion } from '../db/queries/calendars';
import type { Sql } from '../db/pool';
import { compileCalendar, type WorkingCalendar } from '../domain/calendar/workingCalendar';
import { workingIntervals, workingMsBetween } from '../domain/calendar/workingTime';
import { zoneRulesFrom } from './pin';

/**
 * An instance's SLA counted in the calendar version it pinned, for the read models. A stored version never
 * changes, so the API reads it again rather than the instance's carried copy; the zone's offsets come from the
 * host, as when the version was pinned. Past the five years of offsets resolved, time counts as wall-clock time,
 * as the instance counts it there.
 */

export interface PinnedVersion {
  code: string;
  version: number;
  time_zone: string;
  calendar: WorkingCalendar;
}

export type PinnedVersions = (code: string, version: number) => Promise<PinnedVersion | null>;

/** The pinned versions one request reads: each (code, version) read and compiled once. */
export function pinnedVersions(sql: Sql, org: string): PinnedVersions {
  const loaded = new Map<string, Promise<PinnedVersion | null>>();
  return (code, version) => {
    const key = `${code}@${version}`;
    let pinned = loaded.get(key);
    if (!pinned) {
      pinned = findCalendarVersion(sql, org, code, version).then((stored) =>
        stored ? { code, version, time_zone: stored.time_zone, calendar: compileCalendar(stored) } : null,
      );
      loaded.set(key, pinned);
    }
    return pinned;
  };
}

const hourMs = 3_600_000;

/** Working time in [fromMs, toMs), in ms. */
export function workingMs(pinned: PinnedVersion, fromMs: number, toMs: number): number {
  if (toMs <= fromMs) return 0;
  const zone = zoneRulesFrom(pinned.time_zone, fromMs);
  const end = Math.min(toMs, zone.to);
  return workingMsBetween(pinned.calendar, zone, fromMs, end) + (toMs - end);
}

/** Working hours from `fromMs` to the deadline, to 0.01; 0 once it is past. */
export function workingHoursLeft(pinned: PinnedVersion, slaAtMs: number, fromMs: number): number {
  return Math.round((workingMs(pinned, fromMs, slaAtMs) / hourMs) * 100) / 100;
}

/** The working intervals in [fromMs, toMs) as ISO instants: the first `limit`, and whether more follow. */
export function workingIntervalsOf(pinned: PinnedVersion, fromMs: number, toMs: number, limit: number) {
  const zone = zoneRulesFrom(pinned.time_zone, fromMs);
  const end = Math.max(fromMs, Math.min(toMs, zone.to));
  const { intervals, truncated } = workingIntervals(pinned.calendar, zone, fromMs, end, limit);
  const iso = (ms: number) => new Date(ms).toISOString();
  // Past the offsets resolved no interval is listed: the list is cut there.
  return { intervals: intervals.map(({ start, end }) => ({ start: iso(start), end: iso(end) })), truncated: truncated || end < toMs };
}

export interface SlaCalendarRow {
  sla_at: Date | null;
  sla_calendar: string | null;
  sla_calendar_version: number | null;
  paused: boolean;
  paused_at: Date | null;
}

/**
 * Instance rows with their SLA's working hours left (`sla_working_hours_remaining`): counted from now, or while
 * paused from the pause's start (the deadline stands still); null without a calendar or a deadline. Only rows on
 * a calendar are counted.
 */
export async function withWorkingHoursLeft<Row extends SlaCalendarRow>(
  rows: Row[],
  versions: PinnedVersions,
  nowMs: number,
): Promise<Array<Row & { sla_working_hours_remaining: number | null }>> {
  const counted: Array<Row & { sla_working_hours_remaining: number | null }> = [];
  // In sequence: one database client runs one query at a time.
  for (const row of rows) {
    const pinned = row.sla_calendar && row.sla_calendar_version !== null && row.sla_at ? await versions(row.sla_calendar, row.sla_calendar_version) : null;
    const fromMs = row.paused && row.paused_at ? row.paused_at.getTime() : nowMs;
    counted.push({ ...row, sla_working_hours_remaining: pinned && row.sla_at ? workingHoursLeft(pinned, row.sla_at.getTime(), fromMs) : null });
  }
  return counted;
}
