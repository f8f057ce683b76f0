import path from 'node:path';
import { z } from 'zod';

/** Where `hera` keeps local state (embedded database, Temporal's SQLite file, dev secret). */
export const heraHome = path.resolve(process.env.HERA_HOME ?? '.hera');

const envSchema = z.object({
  DATABASE_URL: z.string().min(1).optional(),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_API_KEY: z.string().optional(),
  TEMPORAL_TLS: z.enum(['true', 'false']).default('false'),
  HERA_TASK_QUEUE: z.string().default('hera-wf'),
  HERA_DB_ROLE: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('hera_app'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HERA_JWT_SECRET: z.string().min(16).optional(),
  HERA_JWKS_URL: z.url().optional(),
  HERA_SWEEP_INTERVAL: z.string().default('5m'),
  /** How long a command waits for its instance workflow to answer before 503 (e.g. no worker is polling). */
  HERA_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** Instances continue as new past this many history events; unset = when Temporal suggests it. */
  HERA_HISTORY_LIMIT: z.coerce.number().int().min(10).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
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
