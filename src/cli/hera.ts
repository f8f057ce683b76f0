import { Command, CommanderError } from 'commander';
import { apiCommand } from './commands/api';
import { auditCommand } from './commands/audit';
import { bulkCommand } from './commands/bulk';
import { bundleCommand } from './commands/bundle';
import { calendarsCommand } from './commands/calendars';
import { definitionsCommand } from './commands/definitions';
import { devCommand } from './commands/dev';
import { migrateCommand } from './commands/migrate';
import { orgCommand } from './commands/org';
import { replayCommand } from './commands/replay';
import { scheduleCommand } from './commands/schedule';
import { seedCommand } from './commands/seed';
import { sweepCommand } from './commands/sweepRun';
import { tasksCommand } from './commands/tasks';
import { temporalCommand } from './commands/temporal';
import { tokenCommand } from './commands/token';
import { workerCommand } from './commands/worker';
import { wfCommand } from './commands/wf';
import { CliError, ExitCode } from './exitCodes';

const program = new Command('hera')
  .description('HERA Workflow Ops: HERA workflows on Temporal')
  .addCommand(devCommand)
  .addCommand(workerCommand)
  .addCommand(apiCommand)
  .addCommand(migrateCommand)
  .addCommand(orgCommand)
  .addCommand(tokenCommand)
  .addCommand(definitionsCommand)
  .addCommand(calendarsCommand)
  .addCommand(replayCommand)
  .addCommand(bundleCommand)
  .addCommand(scheduleCommand)
  .addCommand(temporalCommand)
  .addCommand(wfCommand)
  .addCommand(tasksCommand)
  .addCommand(auditCommand)
  .addCommand(bulkCommand)
  .addCommand(seedCommand)
  .addCommand(sweepCommand);

/** Commander reports usage errors itself, then throws here instead of exiting 1: added commands do not inherit this. */
function throwOnUsageErrors(command: Command): void {
  command.exitOverride();
  command.commands.forEach(throwOnUsageErrors);
}
throwOnUsageErrors(program);

program.parseAsync(process.argv).then(
  () => process.exit(0),
  (error: unknown) => {
    // --help and --version end as a CommanderError with exit code 0; every other one is a usage error.
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage);
    if (error instanceof CliError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(error.exitCode);
    }
    process.stderr.write(`hera: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(ExitCode.Failed);
  },
);
