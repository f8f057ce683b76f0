import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

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

/**
 * What the SLA sweep changed, by its job: counted where the change was made (the worker running the sweep). The label
 * is `sweep_job`, not `job`, which Prometheus gives every scraped series (the scrape job's name).
 */
export const sweepChanges = new Counter({
  name: 'hera_sweep_changes_total',
  help: 'Changes made by the SLA sweep, by sweep_job (sla, timers, tasks) and change (warned, escalated, fired, tasks_escalated, notifications)',
  labelNames: ['sweep_job', 'change'] as const,
  registers: [registry],
});

export const sweepErrors = new Counter({
  name: 'hera_sweep_errors_total',
  help: 'Items the SLA sweep could not handle (left for the next run), by sweep_job (sla, timers, tasks)',
  labelNames: ['sweep_job'] as const,
  registers: [registry],
});

export const sweepRuns = new Counter({
  name: 'hera_sweep_runs_total',
  help: 'Recorded SLA sweep runs, by trigger (schedule, api) and status',
  labelNames: ['trigger', 'status'] as const,
  registers: [registry],
});

export const sweepDuration = new Histogram({
  name: 'hera_sweep_run_duration_seconds',
  help: 'Duration of recorded SLA sweep runs',
  buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  registers: [registry],
});

export interface SweepHealth {
  healthy: boolean;
  last_run_at: string | null;
  age_seconds: number | null;
  interval_seconds: number;
}

/** Healthy while the last recorded run is no older than two intervals. */
export function sweepHealthOf(lastRunAt: Date | null, intervalMs: number, nowMs: number): SweepHealth {
  const ageMs = lastRunAt ? nowMs - lastRunAt.getTime() : null;
  return {
    healthy: ageMs !== null && ageMs <= 2 * intervalMs,
    last_run_at: lastRunAt?.toISOString() ?? null,
    age_seconds: ageMs === null ? null : Math.round(ageMs / 1000),
    interval_seconds: intervalMs / 1000,
  };
}

/** Open systems that can read the sweep's health; the newest answers (tests open several in one process). */
const sweepHealthSources: Array<() => Promise<SweepHealth>> = [];

/** Where the sweep gauges read from at scrape time (the runs are in the database); answers how to withdraw it. */
export function provideSweepHealth(source: () => Promise<SweepHealth>): () => void {
  sweepHealthSources.push(source);
  return () => {
    const index = sweepHealthSources.indexOf(source);
    if (index >= 0) sweepHealthSources.splice(index, 1);
  };
}

/** The current health, or undefined when unknown (no source, or the database did not answer): the gauges stay unset. */
const currentSweepHealth = () => sweepHealthSources.at(-1)?.().catch(() => undefined) ?? Promise.resolve(undefined);

new Gauge({
  name: 'hera_sweep_healthy',
  help: '1 while the schedule’s last SLA sweep run is no older than two HERA_SWEEP_INTERVALs, else 0',
  registers: [registry],
  async collect() {
    const health = await currentSweepHealth();
    if (health) this.set(health.healthy ? 1 : 0);
  },
});

new Gauge({
  name: 'hera_sweep_last_run_age_seconds',
  help: 'Seconds since the schedule’s last recorded SLA sweep run (absent before the first)',
  registers: [registry],
  async collect() {
    const health = await currentSweepHealth();
    if (health && health.age_seconds !== null) this.set(health.age_seconds);
  },
});
