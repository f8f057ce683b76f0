import { Command } from 'commander';
import { durationMs, loadConfig } from '../../config';
import { dbOptions, openDb } from '../../db/pool';
import { runtimeDatabaseUrl } from '../../db/resolve';
import { logger } from '../../logger';
import { serveMetrics } from '../../metricsServer';
import { installSdkMetrics } from '../../temporal/sdkMetrics';
import { startTracing, stopTracing, tracingOn } from '../../tracing';
import { createHeraWorker } from '../../worker';
import { shutdownWithin, untilSignal } from '../lifecycle';
import { untilAvailable } from '../untilAvailable';

export const workerCommand = new Command('worker')
  .description('run a worker on HERA_TASK_QUEUE against TEMPORAL_ADDRESS until SIGINT/SIGTERM')
  .action(async () => {
    const config = loadConfig();
    const sdkMetrics = installSdkMetrics(config);
    // Before what it traces is opened: the pool, the Temporal client, the worker.
    startTracing(config, { service: 'hera-worker' });
    const waiting = (err: unknown, retryInMs: number) => logger.warn({ err, retryInMs }, 'worker waiting for a dependency');
    const db = await untilAvailable(() => openDb(dbOptions(config, runtimeDatabaseUrl(config, 'hera worker'))), waiting);
    const heraWorker = await untilAvailable(() => createHeraWorker({ config, db }), waiting);
    const running = heraWorker.run();
    const metrics = config.HERA_WORKER_METRICS_PORT !== undefined ? await serveMetrics(config.HERA_WORKER_METRICS_PORT) : undefined;
    logger.info({ taskQueue: config.HERA_TASK_QUEUE, temporal: config.TEMPORAL_ADDRESS, metrics: metrics?.url, sdkMetrics, tracing: tracingOn() }, 'worker running');
    await Promise.race([untilSignal(), running]);
    // Temporal's graceful shutdown: polling stops, running activities finish (HERA_SHUTDOWN_TIMEOUT at most).
    logger.info({ timeout: config.HERA_SHUTDOWN_TIMEOUT }, 'worker draining');
    await shutdownWithin(
      durationMs(config.HERA_SHUTDOWN_TIMEOUT),
      [
        ['worker', async () => (heraWorker.worker.getState() === 'RUNNING' ? heraWorker.worker.shutdown() : undefined)],
        ['worker run', () => running],
        ['metrics', async () => metrics?.close()],
        ['database pool', () => db.close()],
        ['tracing', () => stopTracing()],
      ],
      (line) => logger.error(line),
    );
  });
