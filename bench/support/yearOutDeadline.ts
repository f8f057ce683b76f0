import { resolveZoneRules } from '../../src/domain/calendar/zoneRules';
import type { CalendarRules, HourRange, ZoneRules } from '../../src/domain/calendar/types';

/**
 * The deadline the working-time math is timed on, by the benchmark and (loosely) its test: a year of working time
 * (260 days × 8 h) from the first Monday of 2026 in an office open Mon–Fri 09:00–17:00 in Berlin, with Berlin's
 * ten public holidays of 2026.
 */
export function yearOutDeadline(): { rules: CalendarRules; zone: ZoneRules; startMs: number; minutes: number } {
  const office: HourRange[] = [['09:00', '17:00']];
  const holidays = ['01-01', '03-08', '04-03', '04-06', '05-01', '05-14', '05-25', '10-03', '12-25', '12-26'];
  const rules: CalendarRules = {
    time_zone: 'Europe/Berlin',
    working_hours: { mon: office, tue: office, wed: office, thu: office, fri: office, sat: [], sun: [] },
    holidays: holidays.map((day) => ({ date: `2026-${day}` })),
    exceptions: [],
  };
  const zone = resolveZoneRules('Europe/Berlin', Date.parse('2026-01-01T00:00:00Z'), Date.parse('2028-01-01T00:00:00Z'));
  return { rules, zone, startMs: Date.parse('2026-01-05T09:00:00+01:00'), minutes: 260 * 8 * 60 };
}
