import { log } from '@temporalio/workflow';
import { addWorkingMs, workingMsBetween } from '../domain/calendar/workingTime';
import { iso } from './machine';
import type { PinnedCalendar } from './messages';
import { warningTiers } from './sla';

/**
 * Moments counted in a business calendar's working time (the SLA's, a task's due time, a timer's), from the data
 * the instance carries (the pinned version and its zone's offsets), so a replay computes them alike on any host.
 * Past the carried offsets (a moment years away) it falls back to wall-clock time, logged, rather than failing the
 * workflow task.
 */

/** `work` in the calendar's working time, or `wallClock` past the offsets the instance carries. */
function counted(calendar: PinnedCalendar, work: () => number, wallClock: () => number): number {
  try {
    return work();
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    log.warn('SLA time past the calendar data the instance carries counts in wall-clock time', { calendar: calendar.code, error: error.message });
    return wallClock();
  }
}

/** `ms` of working time after `fromMs`. */
export const addWorking = (calendar: PinnedCalendar, fromMs: number, ms: number) =>
  counted(calendar, () => addWorkingMs(calendar.rules, calendar.zone, fromMs, ms), () => fromMs + ms);

/** The working time in [fromMs, toMs). */
export const workingBetween = (calendar: PinnedCalendar, fromMs: number, toMs: number) =>
  counted(calendar, () => workingMsBetween(calendar.rules, calendar.zone, fromMs, toMs), () => toMs - fromMs);

export interface CalendarSla {
  sla_at: string;
  /** The warning tiers' moments: each tier's fraction of the working time. */
  sla_warnings_at: string[];
}

/** The deadline `durationMs` of working time after `fromMs`, plus `pausedWorkingMs` already paused. */
export function calendarSla(calendar: PinnedCalendar, fromMs: number, durationMs: number, pausedWorkingMs = 0): CalendarSla {
  return {
    sla_at: iso(addWorking(calendar, fromMs, durationMs + pausedWorkingMs)),
    sla_warnings_at: warningTiers.map((f) => iso(addWorking(calendar, fromMs, Math.round(f * durationMs) + pausedWorkingMs))),
  };
}

/**
 * A pause from `pausedAtMs` to `resumedMs` on a calendar: each moment still ahead when it began keeps the working
 * time it had left; answers the moved moments and the working time the pause took.
 */
export function afterPause(calendar: PinnedCalendar, sla: CalendarSla, pausedAtMs: number, resumedMs: number): CalendarSla & { pausedWorkingMs: number } {
  const move = (at: string) => {
    const ms = Date.parse(at);
    return ms <= pausedAtMs ? at : iso(addWorking(calendar, resumedMs, workingBetween(calendar, pausedAtMs, ms)));
  };
  return { sla_at: move(sla.sla_at), sla_warnings_at: sla.sla_warnings_at.map(move), pausedWorkingMs: workingBetween(calendar, pausedAtMs, resumedMs) };
}
