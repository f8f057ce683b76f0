import { findCalendarVersion } from '../db/queries/calendars';
import { pausedSince } from '../db/queries/readModels';
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

export interface TaskCalendarRow {
  instance_id: string;
  task_state: string;
  due_at: Date | null;
  calendar: string | null;
  calendar_version: number | null;
}

/** A moment counted in a pinned calendar version, and from when its working time is left. */
interface CountedMoment {
  code: string;
  version: number;
  atMs: number;
  fromMs: number;
}

/** Rows with the working hours left until each one's moment (`key`); null where a row has none. In sequence: one client runs one query at a time. */
async function withHoursLeft<Row, Key extends string>(
  rows: Row[],
  versions: PinnedVersions,
  key: Key,
  momentOf: (row: Row) => CountedMoment | null,
): Promise<Array<Row & Record<Key, number | null>>> {
  const counted: Array<Row & Record<Key, number | null>> = [];
  for (const row of rows) {
    const moment = momentOf(row);
    const pinned = moment ? await versions(moment.code, moment.version) : null;
    const left = pinned && moment ? workingHoursLeft(pinned, moment.atMs, moment.fromMs) : null;
    counted.push({ ...row, [key]: left } as Row & Record<Key, number | null>);
  }
  return counted;
}

/**
 * Instance rows with their SLA's working hours left (`sla_working_hours_remaining`): counted from now, or while
 * paused from the pause's start (the deadline stands still); null without a calendar or a deadline.
 */
export function withWorkingHoursLeft<Row extends SlaCalendarRow>(rows: Row[], versions: PinnedVersions, nowMs: number) {
  return withHoursLeft(rows, versions, 'sla_working_hours_remaining', (row) =>
    row.sla_calendar && row.sla_calendar_version !== null && row.sla_at
      ? { code: row.sla_calendar, version: row.sla_calendar_version, atMs: row.sla_at.getTime(), fromMs: row.paused && row.paused_at ? row.paused_at.getTime() : nowMs }
      : null,
  );
}

/**
 * Task rows with the working hours left to their due time (`working_hours_remaining`): for open tasks on a calendar,
 * counted from now, or from the pause's start while their instance is paused (`pausedSince`, by instance).
 */
export async function withTaskWorkingHoursLeft<Row extends TaskCalendarRow>(sql: Sql, org: string, rows: Row[], nowMs: number) {
  const counted = new Set(rows.filter((row) => row.calendar && row.calendar_version !== null && row.due_at && (row.task_state === 'OPEN' || row.task_state === 'CLAIMED')));
  // Only tasks on a calendar look their instance's pause up.
  const paused = counted.size ? await pausedSince(sql, org, [...new Set([...counted].map((row) => row.instance_id))]) : new Map<string, Date>();
  return withHoursLeft(rows, pinnedVersions(sql, org), 'working_hours_remaining', (row) =>
    counted.has(row) ? { code: row.calendar!, version: row.calendar_version!, atMs: row.due_at!.getTime(), fromMs: paused.get(row.instance_id)?.getTime() ?? nowMs } : null,
  );
}
