import { HeraError } from '../errors';
import { createTtlCache } from '../ttlCache';

/** An organization's stored status, or undefined when it does not exist. */
export type OrganizationLookup = (organizationId: string) => Promise<{ status: string | null } | undefined>;

/**
 * Admits the tokens of active organizations only: a token outlives a suspension, so the organization is looked
 * up, with each answer kept `ttlMs` (a suspension takes effect within it) for at most 10,000 organizations.
 */
export function createOrganizationGate(lookup: OrganizationLookup, ttlMs = 30_000): (organizationId: string) => Promise<void> {
  const cache = createTtlCache<{ status: string | null } | undefined>({ ttlMs, maxEntries: 10_000 });
  return async (organizationId) => {
    const organization = await cache.get(organizationId, () => lookup(organizationId));
    if (!organization) {
      throw new HeraError('ORGANIZATION_UNKNOWN', 403, `the token's organization ${organizationId} does not exist`, {
        organization_id: organizationId,
      });
    }
    if (organization.status !== 'active') {
      throw new HeraError('ORGANIZATION_SUSPENDED', 403, `the token's organization ${organizationId} is not active (status ${organization.status ?? 'none'})`, {
        organization_id: organizationId,
        status: organization.status,
      });
    }
  };
}
