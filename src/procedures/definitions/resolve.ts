import { definitionVersion, latestDefinition } from '../../db/queries/definitions';
import { definitionSchema, pinDefinition, type PinnedDefinition } from '../../definitions/schema';
import type { Services } from '../types';

/** The organization's latest registered version of `code`, else the platform's shipped definition. */
export async function resolveDefinition(services: Pick<Services, 'db' | 'definitions'>, organizationId: string, code: string): Promise<PinnedDefinition | undefined> {
  const row = await services.db.withOrg(organizationId, (sql) => latestDefinition(sql, organizationId, code));
  if (row) return pinDefinition(definitionSchema.parse(row.definition));
  return services.definitions.current(code);
}

/** Version `version` of `code`: the organization's registered one, else the platform's shipped one if it is that version. */
export async function resolveDefinitionVersion(services: Pick<Services, 'db' | 'definitions'>, organizationId: string, code: string, version: number): Promise<PinnedDefinition | undefined> {
  const row = await services.db.withOrg(organizationId, (sql) => definitionVersion(sql, organizationId, code, version));
  if (row) return pinDefinition(definitionSchema.parse(row.definition));
  const shipped = services.definitions.current(code);
  return shipped?.version === version ? shipped : undefined;
}
