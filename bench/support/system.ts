import { randomUUID } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config';
import { localAppUrl, provisionAppRole } from '../../src/db/appRole';
import { migrate } from '../../src/db/migrate';
import { dbOptions, openDb } from '../../src/db/pool';
import { resolveDatabase } from '../../src/db/resolve';
import { freePort } from '../../src/net';
import { openSystem, type System } from '../../src/system';
import { resolveTemporalCli } from '../../src/temporal/cli';
import { startDevServer } from '../../src/temporal/devServer';
import { createHeraWorker } from '../../src/worker';

export interface BenchSystem {
  config: Config;
  system: System;
  /** The migrating (owner) user's URL, for set-based seeding. */
  ownerUrl: string;
  close(): Promise<void>;
}

/**
 * What a benchmark measures against: its own Temporal dev server, the database (DATABASE_URL or embedded) migrated,
 * an in-process worker on a task queue of its own, and the API's system; no sweep schedule. `settings` are
 * environment values of the run on top of the process's; `temporalDbFile` keeps the dev server's state in that SQLite
 * file instead of in memory.
 */
export async function startBenchSystem(name: string, settings: Record<string, string> = {}, temporalDbFile?: string): Promise<BenchSystem> {
  const temporal = await startDevServer({ cliPath: await resolveTemporalCli(), port: await freePort(), dbFile: temporalDbFile });
  const config = loadConfig({
    ...process.env,
    TEMPORAL_ADDRESS: temporal.address,
    HERA_TASK_QUEUE: `${name}-bench-${randomUUID().slice(0, 8)}`,
    HERA_SWEEP_SCHEDULE: 'off',
    HERA_COMMAND_TIMEOUT_MS: '600000',
    LOG_LEVEL: 'warn',
    ...settings,
  });
  const database = await resolveDatabase(config);
  await migrate(database.url);
  const appUrl = localAppUrl(database.url);
  await provisionAppRole(database.url, appUrl);
  const workerDb = await openDb({ ...dbOptions(config, appUrl), max: 20 });
  const heraWorker = await createHeraWorker({ config, db: workerDb });
  const running = heraWorker.run();
  const system = await openSystem(config, appUrl);
  return {
    config,
    system,
    ownerUrl: database.url,
    async close() {
      await system.close();
      heraWorker.worker.shutdown();
      await running;
      await workerDb.close();
      await database.stop();
      await temporal.stop();
    },
  };
}

/** Runs `work` over `items`, `lanes` at a time. */
export async function eachLimited<T>(items: T[], lanes: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(lanes, items.length) }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

/** Ends the process with the benchmark's outcome (the worker and pools would keep it alive). */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
