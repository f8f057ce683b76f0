import { Command } from 'commander';
import { resolveTemporalCli } from '../../temporal/cli';

export const temporalCommand = new Command('temporal').description('the Temporal CLI that `hera dev` and the tests use');

temporalCommand
  .command('cli-path')
  .description('print the Temporal CLI path: $TEMPORAL_CLI, PATH, the download cache, $(go env GOPATH)/bin, else download it or build it with go install')
  .action(async () => {
    process.stdout.write(`${await resolveTemporalCli({ log: (line) => process.stderr.write(`${line}\n`) })}\n`);
  });
