import { DefaultLogger, type LogLevel } from '@temporalio/worker';
import { logger } from '../logger';

const pinoLevel: Record<LogLevel, 'trace' | 'debug' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  // The SDK's INFO is webpack's bundle report and worker state changes: detail for LOG_LEVEL=debug.
  INFO: 'debug',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * The Temporal SDK's logs through HERA's logger, its INFO demoted to debug, so a person at `hera dev` sees the
 * summary and not the bundler; warnings and errors keep their level. Filtered at the source below debug.
 */
export function quietSdkLogger(): DefaultLogger {
  const level: LogLevel = logger.isLevelEnabled('trace') ? 'TRACE' : logger.isLevelEnabled('debug') ? 'DEBUG' : 'WARN';
  return new DefaultLogger(level, ({ level: sdkLevel, message, meta }) => logger[pinoLevel[sdkLevel]]({ sdk: meta }, message));
}
