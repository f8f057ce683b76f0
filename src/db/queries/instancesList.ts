import type { Sql } from '../pool';

export interface InstanceRow {
  instance_id: string;
  definition_code: string;
  definition_version: number;
  current_state: string;
  subject_ref: unknown;
  sla_at: Date | null;
  paused: boolean;
  owner_team: string | null;
  owner_user_id: string | null;
  status: string;
  created_at: Date;
  updated_at: Date;
}

/** Keyset position: the last row's created_at (exact, as text) and id. */
export interface InstanceCursor {
  createdAt: string;
  instanceId: string;
}

export interface InstancePage {
  rows: InstanceRow[];
  next: InstanceCursor | null;
}

/** Newest first, `limit` rows after `after`; reads one extra row to know whether more follow. */
export async function listInstances(
  sql: Sql,
  organizationId: string,
  limit: number,
  after: InstanceCursor | null,
): Promise<InstancePage> {
  const { rows } = await sql.query<InstanceRow & { cursor_created_at: string }>(
    `select instance_id, definition_code, definition_version, current_state, subject_ref, sla_at, paused,
            owner_team, owner_user_id, status, created_at, updated_at,
            to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_created_at
       from wf_instances_view
      where organization_id = $1
        and ($2::timestamptz is null or (created_at, instance_id) < ($2::timestamptz, $3::uuid))
      order by created_at desc, instance_id desc
      limit $4`,
    [organizationId, after?.createdAt ?? null, after?.instanceId ?? null, limit + 1],
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    rows: page.map(({ cursor_created_at: _cursor, ...row }) => row),
    next: rows.length > limit && last ? { createdAt: last.cursor_created_at, instanceId: last.instance_id } : null,
  };
}
