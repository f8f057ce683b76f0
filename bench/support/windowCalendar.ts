import type { CalendarRules, HourRange } from '../../src/domain/calendar/types';

const dayMs = 86_400_000;
const minuteMs = 60_000;
const allDay: HourRange[] = [['00:00', '24:00']];

const hhmm = (msOfDay: number) => (msOfDay === dayMs ? '24:00' : new Date(msOfDay).toISOString().slice(11, 16));

/**
 * A UTC calendar whose working time from `fromMs` on is exactly `windows` (minute-aligned [start, end) instants):
 * every date from `fromMs`'s to the last window's is an exception holding its share of the windows (`[]` if none).
 * The weekdays keep all-day hours only because a calendar must have some; no date they govern comes before the
 * last window ends.
 */
export function windowCalendar(fromMs: number, windows: Array<[number, number]>): CalendarRules {
  for (const [start, end] of windows) {
    if (start % minuteMs || end % minuteMs || start >= end) throw new Error(`window ${start}–${end} is not minute-aligned and forward`);
  }
  const exceptions: CalendarRules['exceptions'] = [];
  const lastEnd = Math.max(...windows.map(([, end]) => end));
  for (let day = fromMs - (fromMs % dayMs); day < lastEnd; day += dayMs) {
    const hours = windows
      .map(([start, end]): [number, number] => [Math.max(start, day), Math.min(end, day + dayMs)])
      .filter(([start, end]) => start < end)
      .map(([start, end]): HourRange => [hhmm(start - day), hhmm(end - day)]);
    exceptions.push({ date: new Date(day).toISOString().slice(0, 10), hours });
  }
  return {
    time_zone: 'UTC',
    working_hours: { mon: allDay, tue: allDay, wed: allDay, thu: allDay, fri: allDay, sat: allDay, sun: allDay },
    holidays: [],
    exceptions,
  };
}
