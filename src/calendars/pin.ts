import { findCalendarVersion } from '../db/queries/calendars';
import type { Sql } from '../db/pool';
import { resolveZoneRules } from '../domain/calendar/zoneRules';
import type { ZoneRules } from '../domain/calendar/types';
import { Refusal } from '../errors';
import type { PinnedDefinition } from '../definitions/schema';
import type { PinnedCalendar, PinnedCalendars } from '../workflows/messages';

const dayMs = 86_400_000;
/** An instance carries its zone's offsets this far ahead: past it, a deadline falls back to wall-clock time. */
const horizonMs = 5 * 366 * dayMs;

/** Zone offsets by zone and UTC day of the span's start: one resolution per zone a day, not one per instance. */
const zones = new Map<string, ZoneRules>();

/**
 * The offsets of `zone` from the day before `fromMs` for five years, resolved once per zone and day: what an
 * instance carries, and what the read models count an instance's working time with.
 */
export function zoneRulesFrom(zone: string, fromMs: number): ZoneRules {
  const from = Math.floor(fromMs / dayMs) * dayMs - dayMs;
  const key = `${zone}@${from}`;
  let rules = zones.get(key);
  if (!rules) {
    if (zones.size > 1000) zones.clear();
    rules = resolveZoneRules(zone, from, from + horizonMs);
    zones.set(key, rules);
  }
  return rules;
}

/**
 * The current version of a calendar, with its zone's offsets from yesterday for five years, as an instance pins
 * it (at START, or when an SLA recalculation re-pins it). `CALENDAR_NOT_FOUND` names `field`.
 */
export async function pinCalendar(sql: Sql, organizationId: string, code: string, nowMs: number, field: string): Promise<PinnedCalendar> {
  const stored = await findCalendarVersion(sql, organizationId, code);
  if (!stored) throw new Refusal('CALENDAR_NOT_FOUND', `no calendar ${code} (${field})`, { [field]: code });
  const { time_zone, working_hours, holidays, exceptions } = stored;
  return { code, version: stored.version, rules: { time_zone, working_hours, holidays, exceptions }, zone: zoneRulesFrom(time_zone, nowMs) };
}

/** The calendars a definition's tasks and timers name (`calendar`), each code with the first field naming it. */
export function workCalendarFields(definition: PinnedDefinition): Map<string, string> {
  const named = new Map<string, string>();
  const name = (code: string | undefined, field: string) => {
    if (code !== undefined && !named.has(code)) named.set(code, field);
  };
  definition.tasks.forEach((t, i) => name(t.calendar, `tasks.${i}.calendar`));
  definition.timers.forEach((t, i) => {
    name(t.calendar, `timers.${i}.calendar`);
    name(t.on_fire.create_task?.calendar, `timers.${i}.on_fire.create_task.calendar`);
  });
  return named;
}

/** The current versions of the calendars a definition's tasks and timers name, as an instance pins them. */
export async function pinWorkCalendars(sql: Sql, organizationId: string, definition: PinnedDefinition, nowMs: number): Promise<PinnedCalendars> {
  const pinned: PinnedCalendars = {};
  for (const [code, field] of workCalendarFields(definition)) pinned[code] = await pinCalendar(sql, organizationId, code, nowMs, field);
  return pinned;
}
