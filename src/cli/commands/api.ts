import { Command } from 'commander';
import { loadConfig } from '../../config';
import { runtimeDatabaseUrl } from '../../db/resolve';
import { logger } from '../../logger';
import { openSystem, startApi } from '../../system';
import { shutdown, untilSignal } from '../lifecycle';

export const apiCommand = new Command('api')
  .description('serve the HTTP API on PORT until SIGINT/SIGTERM')
  .action(async () => {
    const config = loadConfig();
    const system = await openSystem(config, runtimeDatabaseUrl(config, 'hera api'));
    const api = await startApi(config, system, config.PORT);
    logger.info({ url: api.url }, 'api listening');
    await untilSignal();
    await shutdown(
      [
        ['api', () => api.close()],
        ['system', () => system.close()],
      ],
      (line) => logger.error(line),
    );
  });
