import { Command } from 'commander';
import { durationMs, loadConfig } from '../../config';
import { runtimeDatabaseUrl } from '../../db/resolve';
import { logger } from '../../logger';
import { openSystem, startApi } from '../../system';
import { startTracing, stopTracing, tracingOn } from '../../tracing';
import { shutdownWithin, untilSignal } from '../lifecycle';
import { untilAvailable } from '../untilAvailable';

export const apiCommand = new Command('api')
  .description('serve the HTTP API on HOST:PORT (default 0.0.0.0:3000) until SIGINT/SIGTERM')
  .action(async () => {
    const config = loadConfig();
    // Before what it traces is opened: the pool, the Temporal client, the app.
    startTracing(config, { service: 'hera-api' });
    const system = await untilAvailable(
      () => openSystem(config, runtimeDatabaseUrl(config, 'hera api')),
      (err, retryInMs) => logger.warn({ err, retryInMs }, 'api waiting for a dependency'),
    );
    // A server process serves its network unless HOST narrows it (`hera dev` keeps to loopback).
    const api = await startApi(config, system, config.PORT, config.HOST ?? '0.0.0.0');
    logger.info({ url: api.url, tracing: tracingOn() }, 'api listening');
    const signal = await untilSignal();
    // The listener closes (new connections refused, so a balancer sends them elsewhere); requests in flight finish.
    logger.info({ signal, timeout: config.HERA_SHUTDOWN_TIMEOUT }, 'api draining');
    await shutdownWithin(
      durationMs(config.HERA_SHUTDOWN_TIMEOUT),
      [
        ['api', () => api.drain()],
        ['system', () => system.close()],
        ['tracing', () => stopTracing()],
      ],
      (line) => logger.error(line),
    );
  });
