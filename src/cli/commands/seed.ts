import { Command, InvalidArgumentError } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { clientOf, print, withApiOptions, type ApiOptions } from '../api/options';
import { formatRecord } from '../output/table';

function count(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`expected a whole number from 1 to ${max}`);
    return n;
  };
}

interface SeedOptions extends ApiOptions {
  instances: number;
  definition: string;
  name: string;
  concurrency: number;
}

/** The Idempotency-Key of a seed's n-th instance: the same on every run, so a re-run skips what exists. */
const seedKey = (name: string, index: number): string => `seed:${name}:${index}`;

export const seedCommand = withApiOptions(
  new Command('seed')
    .description('start N instances through START (POST /api/v1/workflows), with a progress bar; re-running the same --name skips those already started')
    .requiredOption('--instances <n>', 'how many instances', count(1_000_000))
    .option('--definition <code>', 'the definition to start', 'LEAVE_APPROVAL')
    .option('--name <seed>', 'the seed’s name: its Idempotency-Keys are seed:<name>:<index>', 'seed')
    .option('--concurrency <n>', 'starts in flight at once', count(64), 8),
)
  .addHelpText('after', '\nExamples:\n  $ hera seed --instances 500 --definition LEAVE_APPROVAL --name load-2026-11\n  $ hera seed --instances 1000 --name load-2026-11   # after an interruption: starts only the missing ones\n')
  .action(async (options: SeedOptions) => {
    const client = clientOf(options);
    const bar = new SingleBar({ stream: process.stderr, format: 'seed {bar} {value}/{total} ({existing} already there) {eta_formatted} left' }, Presets.shades_classic);
    bar.start(options.instances, 0, { existing: 0 });
    let next = 0;
    let created = 0;
    let existing = 0;
    let failed = false;
    const worker = async () => {
      while (!failed && next < options.instances) {
        const index = next++;
        const { replayed } = await client
          .post(
            '/api/v1/workflows',
            { definition_code: options.definition, subject_ref: { entity_id: `${options.name}-${index}`, entity_type: 'seed' } },
            seedKey(options.name, index),
          )
          .catch((error: unknown) => {
            failed = true;
            throw error;
          });
        if (replayed) existing++;
        else created++;
        bar.increment(1, { existing });
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(options.concurrency, options.instances) }, worker));
    } finally {
      bar.stop();
    }
    print(options, { seed: options.name, definition_code: options.definition, instances: options.instances, created, existing }, formatRecord);
  });
