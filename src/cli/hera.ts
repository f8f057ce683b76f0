import { Command } from 'commander';
import { apiCommand } from './commands/api';
import { bundleCommand } from './commands/bundle';
import { definitionsCommand } from './commands/definitions';
import { devCommand } from './commands/dev';
import { migrateCommand } from './commands/migrate';
import { orgCommand } from './commands/org';
import { replayCommand } from './commands/replay';
import { scheduleCommand } from './commands/schedule';
import { temporalCommand } from './commands/temporal';
import { tokenCommand } from './commands/token';
import { workerCommand } from './commands/worker';

const program = new Command('hera')
  .description('HERA Workflow Ops: HERA workflows on Temporal')
  .addCommand(devCommand)
  .addCommand(workerCommand)
  .addCommand(apiCommand)
  .addCommand(migrateCommand)
  .addCommand(orgCommand)
  .addCommand(tokenCommand)
  .addCommand(definitionsCommand)
  .addCommand(replayCommand)
  .addCommand(bundleCommand)
  .addCommand(scheduleCommand)
  .addCommand(temporalCommand);

program.parseAsync(process.argv).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`hera: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
