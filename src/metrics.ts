import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** One registry per process: prom-client refuses to register a metric twice. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const httpDuration = new Histogram({
  name: 'hera_http_request_duration_seconds',
  help: 'API request duration by route and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});
