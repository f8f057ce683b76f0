import { Command } from 'commander';
import { loadConfig } from '../../config';
import { migrate } from '../../db/migrate';
import { resolveDatabase } from '../../db/resolve';

export const migrateCommand = new Command('migrate')
  .description('apply the SQL migrations in sql/ to DATABASE_URL (or the embedded database)')
  .action(async () => {
    const database = await resolveDatabase(loadConfig());
    try {
      const result = await migrate(database.url);
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } finally {
      await database.stop();
    }
  });
