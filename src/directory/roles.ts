import type { Db } from '../db/pool';
import { usersWithRole } from '../db/queries/directory';
import { createTtlCache } from '../ttlCache';

/** Who holds a role, cached per process for `ttlMs` (other processes see a change within the TTL). */
export interface RoleDirectory {
  usersWithRole(organizationId: string, role: string): Promise<string[]>;
  /** Drops the organization's cached answers after this process changed its directory. */
  invalidate(organizationId: string): void;
}

export function createRoleDirectory(db: Db, ttlMs = 60_000): RoleDirectory {
  const cache = createTtlCache<string[]>({ ttlMs, maxEntries: 10_000 });
  return {
    usersWithRole: (organizationId, role) =>
      cache.get(`${organizationId}\n${role}`, () => db.withOrg(organizationId, (sql) => usersWithRole(sql, organizationId, role))),
    invalidate(organizationId) {
      cache.deleteWhere((key) => key.startsWith(`${organizationId}\n`));
    },
  };
}
