import { Command } from 'commander';
import { loadConfig } from '../../config';
import { createDb } from '../../db/pool';
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
    const db = createDb({ url: database.url, role: config.HERA_DB_ROLE, max: 1 });
    try {
      const org = await ensureOrganization(db.pool, code, name, systemActorId);
      process.stdout.write(`${JSON.stringify(org)}\n`);
    } finally {
      await db.close();
      await database.stop();
    }
  });
