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

const positionSchema = z.strictObject({ sort: z.string(), value: z.string(), id: z.guid() });

/** What a sort's cursor value is: a timestamp as the keyset query writes it (microseconds, UTC), or an int4. */
export type CursorValue = 'timestamp' | 'integer';

const timestampValue = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{6}Z$/;

/** Whether `value` is one PostgreSQL will cast to the sort's type (else the query would fail: a 500 for bad input). */
function fitsSort(value: string, kind: CursorValue): boolean {
  if (kind === 'integer') return /^-?\d{1,10}$/.test(value) && Math.abs(Number(value)) <= 2_147_483_647;
  const parts = timestampValue.exec(value)?.slice(1).map(Number);
  if (!parts) return false;
  const [year, month, day, hour, minute, second] = parts;
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // A date that rolled over (Feb 30, 24:00, year 0050 read as 1950) is not the one written.
  return [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()].every(
    (field, i) => field === parts[i],
  );
}

/** Opaque keyset cursors: base64url JSON of the position and the order it belongs to. */
export function encodeCursor(sort: string, position: KeysetPosition): string {
  return Buffer.from(JSON.stringify({ sort, ...position })).toString('base64url');
}

/**
 * The position a cursor names; a cursor of another order, not issued here, or whose value does not fit the sort's
 * type is 400 INVALID_PAGINATION.
 */
export function decodeCursor(cursor: string | undefined, sort: string, kind: CursorValue): KeysetPosition | null {
  if (cursor === undefined) return null;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const parsed = positionSchema.safeParse(decoded);
  if (!parsed.success || parsed.data.sort !== sort || !fitsSort(parsed.data.value, kind)) {
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
