import type { Sql } from '../pool';

/** Where a page ends: the sort value of its last row (exact, as text) and that row's id. */
export interface KeysetPosition {
  value: string;
  id: string;
}

export interface KeysetQuery {
  /** A read-model view; constant in code. */
  view: string;
  /** The select list; constant in code. */
  columns: string;
  idColumn: string;
  /** A timestamptz or integer column of the view, chosen by the caller from a whitelist. */
  sortColumn: string;
  sortType: 'timestamptz' | 'int';
  direction: 'asc' | 'desc';
  organizationId: string;
  /** Conditions written in code with `?` for their one bound value (never user text in the SQL). */
  filters: Array<[condition: string, value: unknown]>;
  limit: number;
  after: KeysetPosition | null;
}

/**
 * One page of a view in (sort column, id) order, keyset-paginated. Rows whose sort value is NULL are not
 * listed when sorting by that column. Reads one extra row to know whether more follow.
 */
export async function keysetPage<Row extends Record<string, unknown>>(
  sql: Sql,
  q: KeysetQuery,
): Promise<{ rows: Row[]; next: KeysetPosition | null }> {
  const params: unknown[] = [q.organizationId];
  const where = ['organization_id = $1', `${q.sortColumn} is not null`];
  for (const [condition, value] of q.filters) {
    params.push(value);
    where.push(condition.replace('?', `$${params.length}`));
  }
  if (q.after) {
    params.push(q.after.value, q.after.id);
    const op = q.direction === 'desc' ? '<' : '>';
    where.push(`(${q.sortColumn}, ${q.idColumn}) ${op} ($${params.length - 1}::${q.sortType}, $${params.length}::uuid)`);
  }
  params.push(q.limit + 1);
  const cursorValue =
    q.sortType === 'timestamptz' ? `to_char(${q.sortColumn} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')` : `${q.sortColumn}::text`;
  const { rows } = await sql.query<Row & { cursor_value: string }>(
    `select ${q.columns}, ${cursorValue} as cursor_value
       from ${q.view}
      where ${where.join(' and ')}
      order by ${q.sortColumn} ${q.direction}, ${q.idColumn} ${q.direction}
      limit $${params.length}`,
    params,
  );
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    rows: page.map(({ cursor_value: _cursor, ...row }) => row as unknown as Row),
    next: rows.length > q.limit && last ? { value: last.cursor_value, id: String(last[q.idColumn]) } : null,
  };
}
