import { z } from 'zod';
import { HeraError } from '../errors';

/** `limit` as lists accept it: default 50, at most 500, given as a query string. */
export const limitSchema = z.coerce.number().int().min(1).max(500).default(50);

/** Opaque keyset cursors: base64url JSON that the client hands back unchanged. */
export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor<T>(cursor: string, schema: z.ZodType<T>): T {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const parsed = schema.safeParse(decoded);
  if (!parsed.success) throw new HeraError('INVALID_PAGINATION', 400, 'the cursor is not one this API issued', { cursor });
  return parsed.data;
}
