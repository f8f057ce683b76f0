import { Runtime } from '@temporalio/worker';
import type { Config } from '../config';

/**
 * Installs the Temporal SDK's runtime with its core metrics (workflow and activity task latencies, polls, requests
 * to the server) served for Prometheus at `/metrics` on HERA_WORKER_SDK_METRICS_PORT, by the SDK's own server:
 * those metrics live in its native core, not in this process's registry. Durations in seconds, like HERA's own.
 * Must run before the worker's first connection; without the port the SDK's default runtime stays.
 */
export function installSdkMetrics({ HERA_WORKER_SDK_METRICS_PORT: port }: Pick<Config, 'HERA_WORKER_SDK_METRICS_PORT'>): string | undefined {
  if (port === undefined) return undefined;
  Runtime.install({
    telemetryOptions: { metrics: { prometheus: { bindAddress: `0.0.0.0:${port}`, useSecondsForDurations: true } } },
  });
  return `http://127.0.0.1:${port}/metrics`;
}
