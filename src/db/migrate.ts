import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';

export const sqlDir = path.resolve(__dirname, '../../sql');

export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
}

const ledgerDdl = `create table if not exists hera_schema_migrations (
  name text primary key,
  checksum text not null,
  applied_at timestamptz not null default now())`;

/**
 * Applies `sql/NNN_*.sql` in order, each once, recorded in a ledger. Runs as the connecting (owner) user, in
 * one transaction under an advisory lock, so concurrent runs wait and a failed migration leaves nothing.
 * An applied file whose text changed is an error: migrations are append-only.
 */
export async function migrate(url: string, dir = sqlDir): Promise<MigrationResult> {
  const files = (await readdir(dir)).filter((f) => /^\d+_.+\.sql$/.test(f)).sort();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('begin');
    await client.query("select pg_advisory_xact_lock(hashtext('hera_schema_migrations'))");
    await client.query(ledgerDdl);
    const { rows } = await client.query<{ name: string; checksum: string }>(
      'select name, checksum from hera_schema_migrations',
    );
    const ledger = new Map(rows.map((r) => [r.name, r.checksum]));
    const result: MigrationResult = { applied: [], alreadyApplied: [] };
    for (const file of files) {
      const text = await readFile(path.join(dir, file), 'utf8');
      const checksum = createHash('sha256').update(text).digest('hex');
      const recorded = ledger.get(file);
      if (recorded === checksum) {
        result.alreadyApplied.push(file);
        continue;
      }
      if (recorded !== undefined) {
        throw new Error(`migration ${file} was changed after it was applied; add a new migration instead`);
      }
      await client.query(text);
      await client.query('insert into hera_schema_migrations (name, checksum) values ($1, $2)', [file, checksum]);
      result.applied.push(file);
    }
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}
