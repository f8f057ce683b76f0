import path from 'node:path';
import pg from 'pg';
import { heraHome, type Config } from '../config';
import { startEmbeddedPostgres, type ProvisionedDatabase } from './provision';

/** Port of the embedded default database; not 5432, which a local PostgreSQL usually holds. */
export const embeddedPort = Number(process.env.HERA_EMBEDDED_PG_PORT ?? 54329);

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/**
 * DATABASE_URL when set; otherwise the embedded database under `.hera/`, reused if another `hera` process
 * (e.g. `hera dev`) already runs it, started here if not.
 */
export async function resolveDatabase(config: Config): Promise<ProvisionedDatabase> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, stop: async () => undefined };
  const database = 'hera';
  const url = `postgres://postgres:hera@127.0.0.1:${embeddedPort}/${database}`;
  if (await answers(url)) return { url, stop: async () => undefined };
  return startEmbeddedPostgres({ dataDir: path.join(heraHome, 'pgdata'), port: embeddedPort, database });
}

/** HERA_APP_DATABASE_URL, the runtime's login role; `command` refuses to run without it. */
export function runtimeDatabaseUrl(config: Config, command: string): string {
  if (config.HERA_APP_DATABASE_URL) return config.HERA_APP_DATABASE_URL;
  throw new Error(
    `${command} needs HERA_APP_DATABASE_URL: the URL of the hera_app login role, which \`hera migrate\` provisions ` +
      '(with DATABASE_URL, the owner, and HERA_APP_DATABASE_URL set); `hera dev` provisions one by itself',
  );
}
