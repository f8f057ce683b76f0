import { Command } from 'commander';
import { clientOf, idempotencyKeyOf, print, withApiOptions, type ApiOptions } from '../api/options';
import { formatRecord } from '../output/table';

export const sweepCommand = new Command('sweep').description('the SLA sweep of the token’s organization (over the API)');

withApiOptions(
  sweepCommand
    .command('run')
    .description('sweep now and print the report (POST /api/v1/scheduler/run; admin)')
    .option('--dry-run', 'count what would happen, change nothing')
    .option('--as-of <iso>', 'sweep as of this instant (a later one needs --dry-run)'),
  { mutating: true },
)
  .addHelpText('after', '\nExamples:\n  $ hera sweep run\n  $ hera sweep run --dry-run --as-of 2026-11-27T09:00:00Z\n')
  .action(async (options: ApiOptions & { dryRun?: boolean; asOf?: string }) => {
    const { body } = await clientOf(options).post('/api/v1/scheduler/run', { dry_run: options.dryRun === true, as_of: options.asOf }, idempotencyKeyOf(options));
    print(options, body, formatRecord);
  });
