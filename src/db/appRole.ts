import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The role the migrations grant the runtime's privileges to (sql/002). */
export const appGroupRole = 'hera_app';

/**
 * Makes the user of `appUrl` a login role with the URL's password and hera_app's privileges: hera_app itself
 * gets LOGIN; another name (e.g. one role per service) is created or altered and made a member of hera_app.
 * Runs as the owner of `ownerUrl`, after the migrations. A SUPERUSER or BYPASSRLS role is refused, not altered.
 */
export async function provisionAppRole(ownerUrl: string, appUrl: string): Promise<void> {
  const url = new URL(appUrl);
  const role = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  if (!role || !password) throw new Error('HERA_APP_DATABASE_URL must name a user and its password');
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ rolsuper: boolean; rolbypassrls: boolean }>(
      'select rolsuper, rolbypassrls from pg_roles where rolname = $1',
      [role],
    );
    if (rows[0]?.rolsuper || rows[0]?.rolbypassrls) {
      throw new Error(`HERA_APP_DATABASE_URL names ${role}, a SUPERUSER or BYPASSRLS role: give the runtime a login role of its own`);
    }
    // CREATE and ALTER ROLE take no bind parameters: the name and password go in escaped.
    const name = client.escapeIdentifier(role);
    const attributes = `login password ${client.escapeLiteral(password)}`;
    await client.query(rows.length ? `alter role ${name} ${attributes}` : `create role ${name} ${attributes}`);
    if (role !== appGroupRole) await client.query(`grant ${appGroupRole} to ${name}`);
  } finally {
    await client.end();
  }
}

/** A runtime URL on `ownerUrl`'s database for `role` with a fresh random password, to provision (hera dev, tests). */
export function localAppUrl(ownerUrl: string, role = appGroupRole): string {
  const url = new URL(ownerUrl);
  url.username = role;
  url.password = randomBytes(24).toString('base64url');
  return url.toString();
}
