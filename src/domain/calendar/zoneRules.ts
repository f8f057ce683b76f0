import type { ZoneRules } from './types';

/**
 * Reads a zone's offsets from the host's time-zone data (Intl), for the API and activities: their result is
 * recorded and carried into workflows, which must not read the host's data themselves (see `workingTime.ts`).
 */

/** Offsets are sampled this far apart, then each change is found to the second by bisection. */
const SAMPLE_MS = 6 * 3_600_000;
/**
 * Resolution starts this long before the span, so that an instant at its start inside an hour the clock repeats
 * knows the clock was set back: the same as with rules resolved from earlier.
 */
const LOOK_BACK_MS = 86_400_000;

const formats = new Map<string, Intl.DateTimeFormat>();

/** Whether the host's time-zone data knows `zone`. */
export function isValidTimeZone(zone: string): boolean {
  try {
    format(zone);
    return true;
  } catch {
    return false;
  }
}

/**
 * The offsets of `zone` over [fromMs, toMs), every change found to the second. Offsets are rounded to whole
 * minutes (only local mean time, before standard time zones, had seconds). A change undone within six hours would
 * go unseen: zones change their offset a few times a year at most. Throws a RangeError for a zone the host does not
 * know.
 */
export function resolveZoneRules(zone: string, fromMs: number, toMs: number): ZoneRules {
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs <= fromMs) throw new RangeError(`[${fromMs}, ${toMs}) is no span of time`);
  const formatter = format(zone);
  // Changes are sought to the second: the host's data has none finer.
  const last = Math.floor((toMs - 1) / 1000) * 1000;
  let at = Math.floor((fromMs - LOOK_BACK_MS) / 1000) * 1000;
  let offset = offsetAt(formatter, at);
  const transitions = [{ at, offsetMinutes: toMinutes(offset) }];
  while (at < last) {
    const probe = Math.min(at + SAMPLE_MS, last);
    if (offsetAt(formatter, probe) === offset) {
      at = probe;
      continue;
    }
    // The first second in (at, probe] with another offset; the walk goes on from there, in case of another.
    let before = at;
    let after = probe;
    while (after - before > 1000) {
      const mid = before + Math.floor((after - before) / 2000) * 1000;
      if (offsetAt(formatter, mid) === offset) before = mid;
      else after = mid;
    }
    at = after;
    offset = offsetAt(formatter, at);
    transitions.push({ at, offsetMinutes: toMinutes(offset) });
  }
  return { zone, from: fromMs, to: toMs, transitions };
}

function format(zone: string): Intl.DateTimeFormat {
  let formatter = formats.get(zone);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    } catch {
      throw new RangeError(`${JSON.stringify(zone)} is no time zone the host knows`);
    }
    formats.set(zone, formatter);
  }
  return formatter;
}

/** The offset in ms at `ms`, from the host's "…, GMT+05:45" (seconds too for local mean time; bare "GMT" is zero). */
function offsetAt(formatter: Intl.DateTimeFormat, ms: number): number {
  const text = formatter.format(ms);
  const match = /GMT(?:([+-])(\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text);
  if (!match) throw new RangeError(`the host gave no UTC offset: ${JSON.stringify(text)}`);
  const offset = ((Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0)) * 60 + Number(match[4] ?? 0)) * 1000;
  return match[1] === '-' ? -offset : offset;
}

const toMinutes = (offsetMs: number): number => Math.round(offsetMs / 60_000);
