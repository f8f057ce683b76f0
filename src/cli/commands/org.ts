import { Command } from 'commander';
import pg from 'pg';
import { loadConfig } from '../../config';
import { systemActorId } from '../../db/queries/codes';
import { ensureOrganization } from '../../db/queries/organizations';
import { resolveDatabase } from '../../db/resolve';

export const orgCommand = new Command('org').description('organizations');

orgCommand
  .command('create')
  .description('create an organization (idempotent by code); prints {id, code, name}')
  .requiredOption('--code <code>', 'unique organization code')
  .requiredOption('--name <name>', 'display name')
  .action(async ({ code, name }: { code: string; name: string }) => {
    const config = loadConfig();
    const database = await resolveDatabase(config);
    // An administrative command, like `hera migrate`: it runs as the owner (DATABASE_URL or the embedded database).
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    try {
      const org = await ensureOrganization(pool, code, name, systemActorId);
      process.stdout.write(`${JSON.stringify(org)}\n`);
    } finally {
      await pool.end();
      await database.stop();
    }
  });
