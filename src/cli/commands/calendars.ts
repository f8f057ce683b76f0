import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import YAML from 'yaml';
import { holidaysFromIcs } from '../../calendars/ics';
import { ApiRefusal, type ApiClient } from '../api/client';
import { clientOf, nextPageHint, print, queryOf, withApiOptions, type ApiOptions } from '../api/options';
import { CliError, ExitCode } from '../exitCodes';
import { formatRecord, formatTable, type Column } from '../output/table';

type Calendar = Record<string, any>;

const calendarColumns: Column<Calendar>[] = [
  { header: 'code', value: (c) => c.code },
  { header: 'name', value: (c) => c.name },
  { header: 'version', value: (c) => c.version },
  { header: 'time_zone', value: (c) => c.time_zone },
  { header: 'holidays', value: (c) => c.holidays.length },
  { header: 'effective_from', value: (c) => c.effective_from },
];

const calendarRoute = (code: string) => `/api/v1/calendars/${encodeURIComponent(code)}`;

function jsonArgument(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidArgumentError('expected JSON such as {"mon":[["09:00","17:00"]],…,"sun":[]}');
  }
}

export const calendarsCommand = new Command('calendars').description('business calendars: working hours, holidays and exceptions per time zone (over the API)');

withApiOptions(
  calendarsCommand
    .command('put')
    .description('store a calendar from a JSON or YAML file holding its `code` and body (PUT /api/v1/calendars/:code)')
    .argument('<file>', 'the calendar file'),
)
  .addHelpText('after', '\nExample:\n  $ hera calendars put de_berlin.yaml\n')
  .action(async (file: string, options: ApiOptions) => {
    const parsed: unknown = YAML.parse(readFileSync(file, 'utf8'));
    const { code, ...body } = (parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {}) as Record<string, unknown>;
    if (typeof code !== 'string') throw new CliError(ExitCode.Usage, `${file} names no calendar: give its code (e.g. code: DE_BERLIN) next to the body`);
    const { body: calendar } = await clientOf(options).put(calendarRoute(code), body);
    print(options, calendar, formatRecord);
  });

withApiOptions(
  calendarsCommand
    .command('list')
    .description('the organization’s calendars at their current versions (GET /api/v1/calendars)')
    .option('--limit <n>', 'page size (at most 500; default 50)')
    .option('--cursor <cursor>', 'the next page, as a previous answer’s next_cursor'),
)
  .addHelpText('after', '\nExample:\n  $ hera calendars list\n')
  .action(async (options: ApiOptions) => {
    const { body } = await clientOf(options).get('/api/v1/calendars', queryOf(options, ['limit', 'cursor']));
    print(options, body, (b) => formatTable(calendarColumns, b.calendars) + nextPageHint(b.pagination));
  });

withApiOptions(
  calendarsCommand
    .command('get')
    .description('a calendar’s current version, or an earlier one (GET /api/v1/calendars/:code)')
    .argument('<code>', 'the calendar')
    .option('--version <n>', 'this version instead of the current one'),
)
  .addHelpText('after', '\nExample:\n  $ hera calendars get DE_BERLIN --version 1\n')
  .action(async (code: string, options: ApiOptions & { version?: string }) => {
    const { body } = await clientOf(options).get(calendarRoute(code), { version: options.version });
    print(options, body, formatRecord);
  });

interface ImportOptions extends ApiOptions {
  code: string;
  name?: string;
  timeZone?: string;
  workingHours?: unknown;
}

/** The body to add holidays to: the calendar's current version, or a new calendar from the flags. */
async function importBase(client: ApiClient, options: ImportOptions): Promise<Calendar> {
  let current: Calendar | undefined;
  try {
    current = (await client.get(calendarRoute(options.code))).body;
  } catch (error) {
    if (!(error instanceof ApiRefusal && error.code === 'CALENDAR_NOT_FOUND')) throw error;
  }
  if (current) {
    if (options.timeZone !== undefined || options.workingHours !== undefined) {
      throw new CliError(ExitCode.Usage, `calendar ${options.code} exists: --time-zone and --working-hours only create one (change them with hera calendars put)`);
    }
    const { name, time_zone, working_hours, holidays, exceptions } = current;
    return { name, time_zone, working_hours, holidays, exceptions };
  }
  if (options.timeZone === undefined || options.workingHours === undefined) {
    throw new CliError(ExitCode.Usage, `no calendar ${options.code}: give --time-zone and --working-hours to create it`);
  }
  return { name: options.code, time_zone: options.timeZone, working_hours: options.workingHours, holidays: [], exceptions: [] };
}

withApiOptions(
  calendarsCommand
    .command('import')
    .description('add the all-day events of an iCalendar (ICS) file to a calendar’s holidays, as its next version')
    .argument('<file>', 'the .ics file')
    .requiredOption('--code <code>', 'the calendar')
    .option('--name <name>', 'a new display name (default: the calendar’s; the code for a new calendar)')
    .option('--time-zone <zone>', 'only to create the calendar: its IANA time zone')
    .option('--working-hours <json>', 'only to create the calendar: its working hours, {"mon":[["09:00","17:00"]],…,"sun":[]}', jsonArgument),
)
  .addHelpText('after', '\nExamples:\n  $ hera calendars import holidays-de.ics --code DE_BERLIN\n  $ hera calendars import holidays-de.ics --code DE_BERLIN --time-zone Europe/Berlin --working-hours \'{"mon":[["09:00","17:00"]],"tue":[["09:00","17:00"]],"wed":[["09:00","17:00"]],"thu":[["09:00","17:00"]],"fri":[["09:00","17:00"]],"sat":[],"sun":[]}\'\n')
  .action(async (file: string, options: ImportOptions) => {
    const { holidays, skipped } = holidaysFromIcs(readFileSync(file, 'utf8'));
    const client = clientOf(options);
    const base = await importBase(client, options);
    // A date the calendar already lists keeps its entry.
    const listed = new Set((base.holidays as Array<{ date: string }>).map((h) => h.date));
    const added = holidays.filter((h) => !listed.has(h.date));
    const { body } = await client.put(calendarRoute(options.code), { ...base, name: options.name ?? base.name, holidays: [...base.holidays, ...added] });
    for (const event of skipped) process.stderr.write(`skipped ${event.summary ?? 'an event'}: ${event.reason}\n`);
    print(options, body, (calendar) => `${added.length} of ${holidays.length} holidays in ${file} added\n${formatRecord(calendar)}`);
  });
