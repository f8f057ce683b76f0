import { Command } from 'commander';
import { loadConfig } from '../../config';
import { provisionAppRole } from '../../db/appRole';
import { migrate } from '../../db/migrate';
import { resolveDatabase } from '../../db/resolve';

export const migrateCommand = new Command('migrate')
  .description('apply the SQL migrations in sql/ to DATABASE_URL (or the embedded database); with HERA_APP_DATABASE_URL, make its user a login role with its password')
  .action(async () => {
    const config = loadConfig();
    const database = await resolveDatabase(config);
    try {
      const result = await migrate(database.url);
      if (config.HERA_APP_DATABASE_URL) await provisionAppRole(database.url, config.HERA_APP_DATABASE_URL);
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } finally {
      await database.stop();
    }
  });
