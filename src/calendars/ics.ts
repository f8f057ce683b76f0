import { isCalendarDate } from './schema';

/** The holidays an iCalendar (RFC 5545) file gives: its all-day events, each day with the event's SUMMARY. */
export interface IcsHolidays {
  /** In file order, one entry per date (a multi-day event gives each of its days). */
  holidays: Array<{ date: string; name?: string }>;
  /** Events not taken, and why. */
  skipped: Array<{ summary?: string; reason: string }>;
}

/** A property line: its name and value (its parameters are not needed: a DATE is told by its 8 digits). */
interface ContentLine {
  name: string;
  value: string;
}

/** The calendar keeps holiday names of at most 200 characters: a longer SUMMARY is cut, not refused. */
const nameLength = 200;
/** An all-day event spanning more than a year is a data error, not a holiday. */
const maxDays = 366;

/** RFC 5545 §3.1: a line break followed by one space or tab continues the line before it. */
function unfold(text: string): string[] {
  return text.replace(/\r\n?/g, '\n').replace(/\n[ \t]/g, '').split('\n');
}

/** `NAME;PARAM=VALUE;…:value`: the value starts at the first `:` outside a quoted parameter value. */
function parseLine(line: string): ContentLine | undefined {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '"') quoted = !quoted;
    else if (line[i] === ':' && !quoted) return { name: line.slice(0, i).split(';')[0].toUpperCase(), value: line.slice(i + 1) };
  }
  return undefined;
}

/** A TEXT value as written (RFC 5545 §3.3.11 escapes), on one line. */
function unescapeText(value: string): string {
  return value.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? ' ' : c)).trim();
}

/** "YYYYMMDD" as "YYYY-MM-DD", or undefined when the value is not a DATE. */
function dateOf(value: string): string | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  return match ? `${match[1]}-${match[2]}-${match[3]}` : undefined;
}

function nextDay(date: string): string {
  const day = new Date(`${date}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() + 1);
  return day.toISOString().slice(0, 10);
}

/** The days of one all-day event (DTEND is exclusive; none means one day), or why it is not a holiday. */
function eventDays(event: Map<string, ContentLine>): string[] | string {
  const start = event.get('DTSTART');
  if (!start) return 'no DTSTART';
  if (event.has('RRULE') || event.has('RDATE')) return 'recurring (RRULE/RDATE): only single events are imported';
  const first = dateOf(start.value);
  if (!first) return start.value.includes('T') ? 'not an all-day event (DTSTART has a time)' : `DTSTART ${start.value} is not a date`;
  if (!isCalendarDate(first)) return `${first} is not a day of the calendar`;
  const endValue = event.get('DTEND')?.value;
  const end = endValue === undefined ? undefined : dateOf(endValue);
  const days = [first];
  if (end && isCalendarDate(end)) {
    for (let day = nextDay(first); day < end; day = nextDay(day)) {
      if (days.length === maxDays) return `spans more than ${maxDays} days`;
      days.push(day);
    }
  }
  return days;
}

/** Adds one event's days to `result` (a date an earlier event took is skipped), or why the event is skipped. */
function take(event: Map<string, ContentLine>, result: IcsHolidays, taken: Set<string>): void {
  const summary = event.has('SUMMARY') ? unescapeText(event.get('SUMMARY')!.value).slice(0, nameLength) || undefined : undefined;
  const days = eventDays(event);
  if (typeof days === 'string') {
    result.skipped.push({ summary, reason: days });
    return;
  }
  for (const date of days) {
    if (taken.has(date)) result.skipped.push({ summary, reason: `${date} is already taken by an earlier event` });
    else result.holidays.push(summary ? { date, name: summary } : { date });
    taken.add(date);
  }
}

/** Reads the VEVENTs of an iCalendar text; everything outside them (VTIMEZONE, VTODO, …) is ignored. */
export function holidaysFromIcs(text: string): IcsHolidays {
  const result: IcsHolidays = { holidays: [], skipped: [] };
  const taken = new Set<string>();
  // The components open at a line, innermost last: an event's properties are the lines directly inside it, not
  // those of its VALARMs (which have a SUMMARY of their own).
  const open: string[] = [];
  let event = new Map<string, ContentLine>();
  for (const line of unfold(text)) {
    const content = parseLine(line);
    if (!content) continue;
    const component = content.value.toUpperCase();
    if (content.name === 'BEGIN') {
      open.push(component);
      if (component === 'VEVENT') event = new Map();
    } else if (content.name === 'END') {
      open.pop();
      if (component === 'VEVENT') take(event, result, taken);
    } else if (open.at(-1) === 'VEVENT' && !event.has(content.name)) event.set(content.name, content);
  }
  return result;
}
