import { z } from 'zod';
import type { KeysetPosition } from '../db/queries/keyset';
import { Refusal } from '../errors';

/** `limit` as lists accept it: default 50, at most 500, given as a query string. */
export const limitSchema = z.coerce.number().int().min(1).max(500).default(50);

/** The paging inputs every list takes. */
export const pageInput = { limit: limitSchema, cursor: z.string().min(1).optional() };

/** Sorting inputs: a whitelisted column and a direction. */
export function sortInput<const Columns extends readonly [string, ...string[]]>(columns: Columns) {
  return { sort_by: z.enum(columns).default(columns[0]), sort_order: z.enum(['asc', 'desc']).default('desc') };
}

/** Query-string booleans: exactly `true` or `false` (zod's coerce would read 'false' as true). */
export const queryBoolean = z.enum(['true', 'false']).transform((v) => v === 'true');

const positionSchema = z.object({ sort: z.string(), value: z.string(), id: z.guid() });

/** Opaque keyset cursors: base64url JSON of the position and the order it belongs to. */
export function encodeCursor(sort: string, position: KeysetPosition): string {
  return Buffer.from(JSON.stringify({ sort, ...position })).toString('base64url');
}

/** The position a cursor names; a cursor of another order or not issued here is 400 INVALID_PAGINATION. */
export function decodeCursor(cursor: string | undefined, sort: string): KeysetPosition | null {
  if (cursor === undefined) return null;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const parsed = positionSchema.safeParse(decoded);
  if (!parsed.success || parsed.data.sort !== sort) {
    throw new Refusal('INVALID_PAGINATION', 'the cursor is not one this list issued for this order', { cursor });
  }
  return { value: parsed.data.value, id: parsed.data.id };
}

/** A list answer: the rows under `name` and `{limit, has_more, next_cursor}`. */
export function pageAnswer<Name extends string, Row>(
  name: Name,
  page: { rows: Row[]; next: KeysetPosition | null },
  limit: number,
  sort: string,
) {
  return {
    [name]: page.rows,
    pagination: { limit, has_more: page.next !== null, next_cursor: page.next ? encodeCursor(sort, page.next) : null },
  } as { [K in Name]: Row[] } & { pagination: { limit: number; has_more: boolean; next_cursor: string | null } };
}
