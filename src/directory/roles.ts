import type { Db } from '../db/pool';
import { usersWithRole } from '../db/queries/directory';

/** Who holds a role, cached per process for `ttlMs` (other processes see a change within the TTL). */
export interface RoleDirectory {
  usersWithRole(organizationId: string, role: string): Promise<string[]>;
  /** Drops the organization's cached answers after this process changed its directory. */
  invalidate(organizationId: string): void;
}

export function createRoleDirectory(db: Db, ttlMs = 60_000): RoleDirectory {
  const cache = new Map<string, { at: number; users: Promise<string[]> }>();
  return {
    usersWithRole(organizationId, role) {
      const key = `${organizationId}\n${role}`;
      const hit = cache.get(key);
      if (hit && Date.now() - hit.at < ttlMs) return hit.users;
      const users = db.withOrg(organizationId, (sql) => usersWithRole(sql, organizationId, role));
      cache.set(key, { at: Date.now(), users });
      users.catch(() => cache.delete(key));
      return users;
    },
    invalidate(organizationId) {
      for (const key of cache.keys()) if (key.startsWith(`${organizationId}\n`)) cache.delete(key);
    },
  };
}
