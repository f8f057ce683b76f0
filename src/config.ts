import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { z } from 'zod';
import { invalidAllowEntries } from './webhooks/egressPolicy';

/** Where `hera` keeps local state (embedded database, Temporal's SQLite file, dev secret). */
export const heraHome = path.resolve(process.env.HERA_HOME ?? '.hera');

/** A Temporal duration string ("5m", "30s", "1h"), parsed the way the SDK parses it. */
const duration = z.string().refine((v) => {
  try {
    return msToNumber(v as Duration) > 0;
  } catch {
    return false;
  }
}, 'a positive duration such as 30s, 5m or 1h');

/** Milliseconds of a duration the config already validated. */
export const durationMs = (value: string): number => msToNumber(value as Duration);

const envSchema = z.object({
  DATABASE_URL: z.string().min(1).optional(),
  /** The runtime's own login role (hera_app): what `hera api`, `hera worker` and procedures connect as. */
  HERA_APP_DATABASE_URL: z.string().min(1).optional(),
  HERA_DB_POOL_MAX: z.coerce.number().int().min(1).max(1000).default(10),
  /** How long a request waits for a database connection before 503 DATABASE_UNAVAILABLE. */
  HERA_DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(1).max(600_000).default(5_000),
  /** The runtime role's statement_timeout: no query holds a connection longer. */
  HERA_DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(1).max(3_600_000).default(30_000),
  /** The runtime role's idle_in_transaction_session_timeout: no open transaction idles longer. */
  HERA_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: z.coerce.number().int().min(1).max(3_600_000).default(60_000),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_API_KEY: z.string().optional(),
  TEMPORAL_TLS: z.enum(['true', 'false']).default('false'),
  /** The Temporal Web UI operators open: the dashboard links its numbers there; `hera dev` sets its own. */
  HERA_TEMPORAL_UI_URL: z.url({ protocol: /^https?$/ }).optional(),
  HERA_TASK_QUEUE: z.string().default('hera-wf'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** The API's listen address; unset: 127.0.0.1 for `hera dev`, 0.0.0.0 for `hera api`. */
  HOST: z.string().min(1).optional(),
  /** Requests per second one organization may make to one API process; 0 turns the limit off (benchmarks). */
  HERA_RATE_LIMIT_RPS: z.coerce.number().int().min(0).default(200),
  /** The most requests an organization may make in one second of a spike (at least the rate); unset = twice the rate. */
  HERA_RATE_LIMIT_BURST: z.coerce.number().int().min(1).optional(),
  HERA_JWT_SECRET: z.string().min(16).optional(),
  HERA_JWKS_URL: z.url().optional(),
  /** The `iss` every token must carry; required with HERA_JWKS_URL. */
  HERA_JWT_ISSUER: z.string().min(1).optional(),
  /** The `aud` every token must carry; required with HERA_JWKS_URL. */
  HERA_JWT_AUDIENCE: z.string().min(1).optional(),
  /** The bearer token `hera wf|tasks|audit|seed|sweep` send; unset: `--token`, else `hera dev`'s saved admin token. */
  HERA_TOKEN: z.string().min(1).optional(),
  /** The API those commands call; unset: `--api`, else `hera dev`'s, else http://127.0.0.1:3000. */
  HERA_API_URL: z.url().optional(),
  /** How often the Temporal Schedule `hera-wf-sweep` runs the SLA sweep (a duration such as 5m, 30s, 1h). */
  HERA_SWEEP_INTERVAL: duration.default('5m'),
  /** Whether a worker creates or updates the sweep schedule when it starts (`hera schedule ensure` does it on demand). */
  HERA_SWEEP_SCHEDULE: z.enum(['on', 'off']).default('on'),
  /** A PENDING timer this long past due is fired by the sweep through its workflow. */
  HERA_TIMER_GRACE: duration.default('60s'),
  /** How long the sweep waits for one instance's answer (its worker gone, its task failing) before counting an error. */
  HERA_SWEEP_ITEM_TIMEOUT: duration.default('20s').refine((v) => durationMs(v) <= 50_000, 'at most 50s: a sweep batch must heartbeat within a minute'),
  /** How many instances one bulk job's batch sends its Update to at once. */
  HERA_BULK_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(32),
  /** The most instances per second one bulk job sends its Update to (organizations' jobs each have their own). */
  HERA_BULK_RATE: z.coerce.number().positive().max(100_000).default(200),
  /** Items one batch activity of a bulk job takes (one statement records their outcomes). */
  HERA_BULK_BATCH_SIZE: z.coerce.number().int().min(1).max(5000).default(500),
  /** The team told of an SLA breach six hours on and of tasks four hours overdue. */
  HERA_OPERATIONS_TEAM: z.string().min(1).default('operations'),
  /** How long the API's business gauges on /metrics keep the numbers they read (each scrape within it reads nothing). */
  HERA_METRICS_CACHE_TTL: duration.default('10s'),
  /** When set, `hera worker` serves /metrics (the sweep's counters among them) on this port. */
  HERA_WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** When set, `hera worker` has the Temporal SDK serve its own metrics (task latencies, polls, requests) on this port. */
  HERA_WORKER_SDK_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** How long a command waits for its instance workflow to answer before 503 (e.g. no worker is polling). */
  HERA_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** How long `hera api` and `hera worker` drain on SIGTERM/SIGINT (requests, running activities) before exiting anyway (non-zero). */
  HERA_SHUTDOWN_TIMEOUT: duration.default('30s'),
  /** Workflows a worker keeps in memory between their tasks; unset = the SDK's default from the heap size. */
  HERA_WORKER_CACHED_WORKFLOWS: z.coerce.number().int().min(2).max(1_000_000).optional(),
  /** Instances continue as new past this many history events; unset = when Temporal suggests it. */
  HERA_HISTORY_LIMIT: z.coerce.number().int().min(10).optional(),
  /** A workflow bundle built by `hera bundle FILE`: workers load it instead of bundling the workflow code at start. */
  HERA_WORKFLOW_BUNDLE: z.string().refine(existsSync, 'no such file (build it with `hera bundle FILE`)').optional(),
  /** Internal webhook targets the worker may reach (comma-separated host names, addresses, CIDRs); `hera dev` defaults to loopback. */
  HERA_WEBHOOK_ALLOW: z
    .string()
    .superRefine((v, ctx) => {
      const invalid = invalidAllowEntries(v);
      if (invalid.length) ctx.addIssue({ code: 'custom', message: `not a host name, address or CIDR: ${invalid.join(', ')}` });
    })
    .optional(),
  /** Where `hera api` and `hera worker` send their traces (OTLP over HTTP, e.g. http://collector:4318); unset: tracing off. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
}).superRefine((env, ctx) => {
  // A key set is usually shared by many services: without issuer and audience, any of their tokens would do.
  if (env.HERA_JWKS_URL) {
    for (const name of ['HERA_JWT_ISSUER', 'HERA_JWT_AUDIENCE'] as const) {
      if (!env[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'required when HERA_JWKS_URL is set' });
    }
  }
  if (env.HERA_RATE_LIMIT_BURST !== undefined && env.HERA_RATE_LIMIT_BURST < env.HERA_RATE_LIMIT_RPS) {
    ctx.addIssue({ code: 'custom', path: ['HERA_RATE_LIMIT_BURST'], message: 'at least HERA_RATE_LIMIT_RPS' });
  }
});

export type Config = z.infer<typeof envSchema>;

/** Parses the environment once; a bad value stops the process with the variable named. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid environment: ${problems}`);
  }
  return parsed.data;
}
