import { Command, InvalidArgumentError, Option } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { bulkOperationNames } from '../../procedures/bulk/operations';
import type { ApiClient } from '../api/client';
import { clientOf, idempotencyKeyOf, nextPageHint, print, queryOf, withApiOptions, type ApiOptions } from '../api/options';
import { CliError, ExitCode } from '../exitCodes';
import { formatRecord, formatTable, type Column } from '../output/table';

type Job = Record<string, any>;

/** How often a followed job is read again. */
const pollMs = 1_000;
const endedStatuses = ['completed', 'cancelled', 'failed'];

const sum = (counts: Record<string, number> = {}) => Object.values(counts).reduce((a, b) => a + b, 0);
const attempted = (job: Job) => job.done + sum(job.skipped) + sum(job.failed);
const byCode = (counts: Record<string, number> = {}) => Object.entries(counts).map(([code, n]) => `${code} ${n}`).join(', ') || '0';
const progressLine = (job: Job) =>
  `bulk ${job.operation} ${job.job_id}: ${job.status} ${attempted(job)}/${job.matched ?? '?'} · done ${job.done} · skipped ${byCode(job.skipped)} · failed ${byCode(job.failed)}`;

function keyValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError('expected key=value');
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

/** A param's value as JSON when it reads as JSON (48, true, ["a"]), else as the text given. */
function paramValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The job as a person reads it: its fields, then its first failed items. */
function formatJob(job: Job): string {
  const { errors, ...fields } = job;
  const errorRows = (errors ?? []) as Job[];
  return formatRecord(fields) + (errorRows.length ? `errors\n${formatTable(itemColumns.filter((c) => c.header !== 'line'), errorRows)}` : '');
}

/**
 * Reads the job until it ends: a live bar on a terminal, a line per change otherwise (both on stderr). Exit 0
 * once it completed without failed items; 1 when it was cancelled, failed, or left failed items.
 */
async function follow(client: ApiClient, jobId: string, options: ApiOptions): Promise<void> {
  const tty = process.stderr.isTTY === true && !options.json;
  const bar = tty ? new SingleBar({ stream: process.stderr, format: 'bulk {bar} {value}/{total} · {status} · skipped {skipped} · failed {failed}' }, Presets.shades_classic) : null;
  let job: Job = (await client.get(`/api/v1/bulk/${jobId}`)).body;
  bar?.start(job.matched ?? 0, 0, { status: job.status, skipped: 0, failed: 0 });
  let last = '';
  for (;;) {
    if (bar) bar.update(attempted(job), { status: job.status, skipped: sum(job.skipped), failed: sum(job.failed) });
    else if (!options.json) {
      const line = progressLine(job);
      if (line !== last) process.stderr.write(`${line}\n`);
      last = line;
    }
    if (endedStatuses.includes(job.status)) break;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    job = (await client.get(`/api/v1/bulk/${jobId}`)).body;
  }
  bar?.stop();
  print(options, job, formatJob);
  if (job.status !== 'completed' || sum(job.failed) > 0) throw new CliError(ExitCode.Failed, `bulk job ${jobId} ${job.status}${sum(job.failed) ? ` with ${sum(job.failed)} failed items (hera bulk retry-failed ${jobId})` : ''}`);
}

const jobColumns: Column<Job>[] = [
  { header: 'job_id', value: (j) => j.job_id },
  { header: 'operation', value: (j) => j.operation },
  { header: 'status', value: (j) => j.status },
  { header: 'matched', value: (j) => j.matched },
  { header: 'done', value: (j) => j.done },
  { header: 'skipped', value: (j) => sum(j.skipped) },
  { header: 'failed', value: (j) => sum(j.failed) },
  { header: 'reason', value: (j) => j.reason },
  { header: 'created_at', value: (j) => j.created_at },
];

const itemColumns: Column<Job>[] = [
  { header: 'line', value: (i) => i.line_number },
  { header: 'instance_id', value: (i) => i.instance_id },
  { header: 'outcome', value: (i) => i.outcome },
  { header: 'code', value: (i) => i.code },
  { header: 'message', value: (i) => i.message },
];

interface RunOptions extends ApiOptions {
  filter?: Record<string, string>;
  ids?: string;
  param?: Record<string, string>;
  reason?: string;
  dryRun?: boolean;
  maxInstances?: number;
}

const filterKeys = 'definition_code, current_state, owner_team, owner_user_id, paused, overdue, created_after, created_before, has_failed_effects, sla_level_min, updated_after, updated_before';

/** The options that select instances and shape an operation's job. */
function withSelection(command: Command, operation: string, reason: 'required' | 'optional'): Command {
  command
    .option('--filter <key=value>', `an INSTANCES.LIST filter (repeatable): ${filterKeys}`, keyValue)
    .option('--ids <a,b,…>', 'these instances instead of a filter')
    .option('--param <key=value>', `a field of the single ${operation}'s body (repeatable; JSON values are read as JSON)`, keyValue);
  if (reason === 'required') command.requiredOption('--reason <text>', 'why, for every instance’s audit event');
  else command.option('--reason <text>', 'why, for every instance’s audit event (required with a selection)');
  return command.option('--dry-run', 'count what would be selected and skipped, change nothing').option('--max-instances <n>', 'select at most this many', positiveInt);
}

/** Starts a job of `operation` over the selection and follows it until it ends (a dry run prints its counts). */
async function runOperation(operation: string, options: RunOptions): Promise<void> {
  if ((options.filter === undefined) === (options.ids === undefined)) throw new CliError(ExitCode.Usage, 'give --filter key=value (one or more) or --ids, not both');
  if (!options.reason) throw new CliError(ExitCode.Usage, 'give --reason: it is every instance’s audit reason');
  const body = {
    ...(options.filter ? { filter: options.filter } : { instance_ids: options.ids!.split(',').map((id) => id.trim()).filter(Boolean) }),
    params: Object.fromEntries(Object.entries(options.param ?? {}).map(([k, v]) => [k, paramValue(v)])),
    reason: options.reason,
    ...(options.dryRun ? { dry_run: true } : {}),
    ...(options.maxInstances ? { max_instances: options.maxInstances } : {}),
  };
  const client = clientOf(options);
  const { body: answer } = await client.post(`/api/v1/bulk/${operation}`, body, idempotencyKeyOf(options));
  if (options.dryRun) return print(options, answer, formatRecord);
  await follow(client, answer.job_id, options);
}

const examples = (operation: string) =>
  `  $ hera bulk ${operation} --filter definition_code=AP_BILL_APPROVAL --filter current_state=REVIEW --reason "vendor outage" --dry-run\n` +
  `  $ hera bulk ${operation} --filter definition_code=AP_BILL_APPROVAL --reason "vendor outage"${operation === 'reassign' ? ' --param owner_team=operations' : operation === 'move' ? ' --param to_state=REVIEW' : operation === 'migrate' ? ' --param to_version=2' : ''}\n`;

export const bulkCommand = new Command('bulk').description('run one operation on many instances as a bulk job, and watch, cancel or retry it (over the API)');

// `cancel` is both an operation (cancel instances) and the stop of a job: one command, told apart by its arguments.
for (const operation of bulkOperationNames.filter((name) => name !== 'cancel')) {
  withApiOptions(
    withSelection(
      bulkCommand
        .command(operation)
        .description(`${operation} every instance a filter or a list of ids selects, following the job until it ends (POST /api/v1/bulk/${operation}; admin)`),
      operation,
      'required',
    ),
    { mutating: true },
  )
    .addHelpText('after', `\nExamples:\n${examples(operation)}`)
    .action((options: RunOptions) => runOperation(operation, options));
}

withApiOptions(bulkCommand.command('status').description('a job: status, counts, first failed items (GET /api/v1/bulk/:job_id)').argument('<job_id>', 'the job'))
  .addHelpText('after', '\nExample:\n  $ hera bulk status 5b0e1f7c-4d44-4a57-8d0b-3f9e2c1a7b11\n')
  .action(async (jobId: string, options: ApiOptions) => {
    const { body } = await clientOf(options).get(`/api/v1/bulk/${encodeURIComponent(jobId)}`);
    print(options, body, formatJob);
  });

withApiOptions(
  withSelection(
    bulkCommand
      .command('cancel')
      .description('with a job id: stop that job between instances (items not sent stay pending); with --filter or --ids: cancel every instance selected, as a bulk job (admin)')
      .argument('[job_id]', 'the job to stop'),
    'cancel',
    'optional',
  ),
  { mutating: true },
)
  .addHelpText('after', `\nExamples:\n  $ hera bulk cancel 5b0e1f7c-4d44-4a57-8d0b-3f9e2c1a7b11\n${examples('cancel')}`)
  .action(async (jobId: string | undefined, options: RunOptions) => {
    if (jobId === undefined) return runOperation('cancel', options);
    if (options.filter !== undefined || options.ids !== undefined) throw new CliError(ExitCode.Usage, 'give a job id to stop a job, or --filter/--ids to cancel instances, not both');
    const { body } = await clientOf(options).post(`/api/v1/bulk/${encodeURIComponent(jobId)}/cancel`, {}, idempotencyKeyOf(options));
    print(options, body, formatJob);
  });

withApiOptions(
  bulkCommand
    .command('list')
    .description('the organization’s jobs, newest first (GET /api/v1/bulk)')
    .addOption(new Option('--status <status>', 'only jobs in this status').choices(['queued', 'running', 'completed', 'cancelled', 'failed']))
    .addOption(new Option('--operation <operation>', 'only this operation').choices(bulkOperationNames))
    .option('--limit <n>', 'page size (at most 500; default 50)')
    .option('--cursor <cursor>', 'the next page, as a previous answer’s next_cursor'),
)
  .addHelpText('after', '\nExample:\n  $ hera bulk list --status running\n')
  .action(async (options: ApiOptions) => {
    const { body } = await clientOf(options).get('/api/v1/bulk', queryOf(options, ['status', 'operation', 'limit', 'cursor']));
    print(options, body, (b) => formatTable(jobColumns, b.jobs) + nextPageHint(b.pagination));
  });

withApiOptions(
  bulkCommand
    .command('items')
    .description('a job’s items in selection order, with their outcome (GET /api/v1/bulk/:job_id/items)')
    .argument('<job_id>', 'the job')
    .addOption(new Option('--outcome <outcome>', 'only items with this outcome').choices(['pending', 'done', 'skipped', 'failed']))
    .option('--limit <n>', 'page size (at most 500; default 50)')
    .option('--cursor <cursor>', 'the next page, as a previous answer’s next_cursor'),
)
  .addHelpText('after', '\nExample:\n  $ hera bulk items 5b0e1f7c-4d44-4a57-8d0b-3f9e2c1a7b11 --outcome failed\n')
  .action(async (jobId: string, options: ApiOptions) => {
    const { body } = await clientOf(options).get(`/api/v1/bulk/${encodeURIComponent(jobId)}/items`, queryOf(options, ['outcome', 'limit', 'cursor']));
    print(options, body, (b) => formatTable(itemColumns, b.items) + nextPageHint(b.pagination));
  });

withApiOptions(
  bulkCommand.command('retry-failed').description('a new job over just the failed items of a finished job, followed until it ends (admin)').argument('<job_id>', 'the finished job').option('--reason <text>', 'why'),
  { mutating: true },
)
  .addHelpText('after', '\nExample:\n  $ hera bulk retry-failed 5b0e1f7c-4d44-4a57-8d0b-3f9e2c1a7b11\n')
  .action(async (jobId: string, options: ApiOptions & { reason?: string }) => {
    const client = clientOf(options);
    const { body } = await client.post(`/api/v1/bulk/${encodeURIComponent(jobId)}/retry-failed`, { reason: options.reason }, idempotencyKeyOf(options));
    await follow(client, body.job_id, options);
  });
