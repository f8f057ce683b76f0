import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';

export const proceduresDir = path.resolve(__dirname, '../../procedures');

const contractSchema = z.strictObject({
  smart_code: z.string().regex(/^HERA\.[A-Z0-9_.]+\.V\d+$/i),
  description: z.string().min(1),
  kind: z.enum(['command', 'query']),
  roles: z.array(z.string().min(1)).min(1),
  routes: z
    .array(z.strictObject({ method: z.enum(['GET', 'POST', 'PUT']), path: z.string().startsWith('/api/v1/') }))
    .default([]),
  success_status: z.union([z.literal(200), z.literal(201), z.literal(202)]).default(200),
  audit: z.boolean().default(false),
  errors: z.record(z.string().regex(/^[A-Z_]+$/), z.number().int().min(400).max(599)).default({}),
});

/** A procedure's contract: who may call it, where it is routed, which errors it may answer with. */
export type Contract = z.output<typeof contractSchema>;

/** Errors every procedure may answer with, besides those its contract declares. */
export const commonErrors: Readonly<Record<string, number>> = {
  VALIDATION_FAILED: 400,
  PERMISSION_DENIED: 403,
  ORGANIZATION_MISMATCH: 403,
  // A value the database refuses for good (SQLSTATE class 22 or 23): the command is not retried.
  PERSISTENCE_REJECTED: 422,
};

export function loadContracts(dir = proceduresDir): Contract[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((file) => {
      const parsed = contractSchema.safeParse(YAML.parse(readFileSync(path.join(dir, file), 'utf8')));
      if (!parsed.success) throw new Error(`procedure contract ${file} is invalid: ${z.prettifyError(parsed.error)}`);
      return parsed.data;
    });
}
