import { Command } from 'commander';
import { resolveTemporalCli } from '../../temporal/cli';

export const temporalCommand = new Command('temporal').description('the Temporal CLI that `hera dev` and the tests use');

temporalCommand
  .command('cli-path')
  .description('print the Temporal CLI path: $TEMPORAL_CLI, PATH, $(go env GOPATH)/bin, else build it with go install')
  .action(() => {
    process.stdout.write(`${resolveTemporalCli({ log: (line) => process.stderr.write(`${line}\n`) })}\n`);
  });
