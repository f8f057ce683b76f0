/**
 * A calendar built around today, for tests on the real system where wall time cannot be chosen: every hour of
 * every day works (UTC), except today and tomorrow, holidays. A START today (or tomorrow, past midnight) counts
 * its working time from `firstWorking`.
 */
const dayMs = 86_400_000;
const utcDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const allDay = [['00:00', '24:00']];

export const everyHour = { mon: allDay, tue: allDay, wed: allDay, thu: allDay, fri: allDay, sat: allDay, sun: allDay };
export const today = utcDate(Date.now());
export const tomorrow = utcDate(Date.now() + dayMs);
/** The first working moment: the day after tomorrow, 00:00 UTC. */
export const firstWorking = Date.parse(`${today}T00:00:00Z`) + 2 * dayMs;
/** The calendar's PUT body. */
export const holidayCalendar = { name: 'Operations', time_zone: 'UTC', working_hours: everyHour, holidays: [today, tomorrow] };
export { utcDate };
