import type pg from 'pg';
import type { Sql } from '../pool';

export interface Organization {
  id: string;
  code: string;
  name: string;
}

/** Creates the organization unless one with this code exists; either way answers the stored row. */
export async function ensureOrganization(
  pool: pg.Pool,
  code: string,
  name: string,
  actorUserId: string,
): Promise<Organization> {
  const { rows } = await pool.query<{ id: string; organization_code: string; organization_name: string }>(
    'select id, organization_code, organization_name from hera_ensure_organization($1, $2, $3)',
    [code, name, actorUserId],
  );
  return { id: rows[0].id, code: rows[0].organization_code, name: rows[0].organization_name };
}

/** The organization's status column, or undefined when no such organization exists (run inside its withOrg). */
export async function organizationStatus(sql: Sql, organizationId: string): Promise<{ status: string | null } | undefined> {
  const { rows } = await sql.query<{ status: string | null }>('select status from core_organizations where id = $1', [organizationId]);
  return rows[0];
}

/** The organization's code (run inside its withOrg). */
export async function organizationCode(sql: Sql, organizationId: string): Promise<string> {
  const { rows } = await sql.query<{ organization_code: string }>('select organization_code from core_organizations where id = $1', [organizationId]);
  return rows[0].organization_code;
}
