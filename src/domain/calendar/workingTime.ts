import type { CalendarRules, ZoneRules } from './types';
import { compileCalendar, countOnClock, DAY_MS, MINUTE_MS, type WorkingCalendar, worksUpTo } from './workingCalendar';

/**
 * Working time between real instants (epoch ms) under a business calendar. Workflow code runs this, so it computes
 * from the calendar and the carried `ZoneRules` only, never from the host's time-zone data: a replay on a host with
 * other tz data computes the same deadlines.
 *
 * Local times map to instants as the clock shows them: a time skipped when the clock is set forward begins at the
 * moment after the gap; a time shown twice when it is set back is taken at its first showing. So a range's start
 * and end are instants and it lasts its real elapsed time (00:00–24:00 is 23 h on a spring-forward day, 25 h on a
 * fall-back one). The hour shown twice belongs to the range running when the clock was set back: 00:00–03:00 holds
 * both showings of 02:00–03:00 in Berlin, 03:00–04:00 neither.
 *
 * A calendar may be given as its rules (compiled on every call) or compiled once with `compileCalendar`.
 */
export type Calendar = CalendarRules | WorkingCalendar;

/**
 * The instant at which `ms` of working time have passed since `startMs` (counting from the next working moment
 * if `startMs` is outside working time): the smallest t with `workingMsBetween(start, t) === ms`. A deadline
 * falling at the end of a range is that end, not the start of the next; `ms = 0` returns `startMs` unchanged.
 * Throws a RangeError if the zone rules end first (resolve a longer span) or the calendar has no working time
 * after the start.
 */
export function addWorkingMs(calendar: Calendar, zone: ZoneRules, startMs: number, ms: number): number {
  const working = prepare(calendar, zone);
  if (!Number.isFinite(startMs)) throw new RangeError(`start ${startMs} is no instant`);
  if (!(ms >= 0 && ms < Infinity)) throw new RangeError(`${ms} ms is no working time to add`);
  if (ms === 0) return startMs;
  covers(zone, startMs, startMs + 1);
  const { at, counted } = walk(working, zone, startMs, zone.to, ms);
  if (counted === ms) return at;
  if (!working.worksWeekly && working.lastWorkingException < localDay(zone, startMs)) {
    throw new RangeError(`the calendar has no working time after ${iso(startMs)}`);
  }
  throw new RangeError(`the zone rules for ${zone.zone} end at ${iso(zone.to)}, ${ms - counted} working ms before the deadline: resolve a longer span`);
}

/** Working time in [fromMs, toMs), in ms. Throws a RangeError if the zone rules do not cover the span. */
export function workingMsBetween(calendar: Calendar, zone: ZoneRules, fromMs: number, toMs: number): number {
  const working = prepare(calendar, zone);
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs < fromMs) throw new RangeError(`[${fromMs}, ${toMs}) is no span of time`);
  if (fromMs === toMs) return 0;
  covers(zone, fromMs, toMs);
  return walk(working, zone, fromMs, toMs, Infinity).counted;
}

/**
 * The working time in [fromMs, toMs) as spans of real time (epoch ms), in order, spans that meet joined into one:
 * the first `limit` of them, and whether more follow. Throws a RangeError if the zone rules do not cover the span.
 */
export function workingIntervals(
  calendar: Calendar,
  zone: ZoneRules,
  fromMs: number,
  toMs: number,
  limit: number,
): { intervals: Array<{ start: number; end: number }>; truncated: boolean } {
  const working = prepare(calendar, zone);
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs < fromMs) throw new RangeError(`[${fromMs}, ${toMs}) is no span of time`);
  if (!(limit >= 0)) throw new RangeError(`${limit} is no number of intervals`);
  const spans: number[] = [];
  if (fromMs < toMs) {
    covers(zone, fromMs, toMs);
    walk(working, zone, fromMs, toMs, Infinity, spans);
  }
  const intervals: Array<{ start: number; end: number }> = [];
  for (let i = 0; i < spans.length && intervals.length < limit; i += 2) intervals.push({ start: spans[i], end: spans[i + 1] });
  return { intervals, truncated: spans.length / 2 > limit };
}

/** `addWorkingMs` with the working time in minutes. */
export function addWorkingMinutes(calendar: Calendar, zone: ZoneRules, startMs: number, minutes: number): number {
  return addWorkingMs(calendar, zone, startMs, minutes * MINUTE_MS);
}

/** `workingMsBetween` in minutes, fractional where the span cuts a minute. */
export function workingMinutesBetween(calendar: Calendar, zone: ZoneRules, fromMs: number, toMs: number): number {
  return workingMsBetween(calendar, zone, fromMs, toMs) / MINUTE_MS;
}

/**
 * Walks real time from `from` towards `to` one stretch of constant offset at a time, counting working time until
 * `budget` ms are counted; `at` is where it stopped. Within a stretch, local time is the instant plus the offset,
 * except just after the clock was set back: until it again shows a time it had not shown yet, an instant is read
 * as the moment just before it was set back (the first-showing rule above). Given `spans`, the working time counted
 * is appended to it as real start and end instants.
 */
function walk(calendar: WorkingCalendar, zone: ZoneRules, from: number, to: number, budget: number, spans?: number[]): { at: number; counted: number } {
  const transitions = zone.transitions;
  let i = transitionAt(transitions, from);
  let shown = latestShownBefore(transitions, i);
  let at = from;
  let counted = 0;
  for (; at < to; i++) {
    const offset = transitions[i].offsetMinutes * MINUTE_MS;
    const end = i + 1 < transitions.length ? Math.min(transitions[i + 1].at, to) : to;
    const repeatEnd = Math.min(end, shown - offset);
    if (repeatEnd > at) {
      if (worksUpTo(calendar, shown)) {
        if (repeatEnd - at >= budget - counted) {
          if (spans) join(spans, at, at + (budget - counted));
          return { at: at + (budget - counted), counted: budget };
        }
        if (spans) join(spans, at, repeatEnd);
        counted += repeatEnd - at;
      }
      at = repeatEnd;
    }
    if (end > at) {
      const left = budget - counted;
      const local: number[] | undefined = spans && [];
      const step = countOnClock(calendar, at + offset, end + offset, left, local);
      if (local) for (let k = 0; k < local.length; k += 2) join(spans!, local[k] - offset, local[k + 1] - offset);
      if (step.counted === left) return { at: step.at - offset, counted: budget };
      counted += step.counted;
      at = end;
    }
    shown = Math.max(shown, end + offset);
  }
  return { at: to, counted };
}

/** Appends the span [start, end) to flat `spans`, joined to the last one when they meet (a range ending at midnight, the next starting). */
function join(spans: number[], start: number, end: number): void {
  if (spans.length > 0 && spans[spans.length - 1] === start) spans[spans.length - 1] = end;
  else spans.push(start, end);
}

/** Index of the transition in force at `ms`: the last one at or before it (binary search). */
function transitionAt(transitions: ZoneRules['transitions'], ms: number): number {
  let lo = 0;
  let hi = transitions.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (transitions[mid].at <= ms) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The latest local time the clock reached before transition `i`; after a setback it counts as just before this. */
function latestShownBefore(transitions: ZoneRules['transitions'], i: number): number {
  let shown = -Infinity;
  for (let j = 1; j <= i; j++) shown = Math.max(shown, transitions[j].at + transitions[j - 1].offsetMinutes * MINUTE_MS);
  return shown;
}

/** The local day number (days since 1970-01-01) at instant `ms`. */
function localDay(zone: ZoneRules, ms: number): number {
  return Math.floor((ms + zone.transitions[transitionAt(zone.transitions, ms)].offsetMinutes * MINUTE_MS) / DAY_MS);
}

function prepare(calendar: Calendar, zone: ZoneRules): WorkingCalendar {
  const working = 'working_hours' in calendar ? compileCalendar(calendar) : calendar;
  if (working.timeZone !== zone.zone) throw new RangeError(`the calendar's time zone is ${working.timeZone}, the zone rules are for ${zone.zone}`);
  if (!(zone.from < zone.to && Number.isFinite(zone.to)) || zone.transitions.length === 0 || zone.transitions[0].at > zone.from) {
    throw new RangeError(`the zone rules for ${zone.zone} are malformed: they need a span and an offset in force at its start`);
  }
  return working;
}

/** Throws unless the zone rules cover [from, to). */
function covers(zone: ZoneRules, from: number, to: number): void {
  if (from < zone.from || to > zone.to) {
    throw new RangeError(
      `the zone rules for ${zone.zone} cover ${iso(zone.from)} to ${iso(zone.to)}, not ${iso(from)} to ${iso(to)}: resolve a longer span`,
    );
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();
