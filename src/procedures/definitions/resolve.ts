import { latestDefinition } from '../../db/queries/definitions';
import { definitionSchema, pinDefinition, type PinnedDefinition } from '../../definitions/schema';
import type { Services } from '../types';

/** The organization's latest registered version of `code`, else the platform's shipped definition. */
export async function resolveDefinition(services: Pick<Services, 'db' | 'definitions'>, organizationId: string, code: string): Promise<PinnedDefinition | undefined> {
  const row = await services.db.withOrg(organizationId, (sql) => latestDefinition(sql, organizationId, code));
  if (row) return pinDefinition(definitionSchema.parse(row.definition));
  return services.definitions.current(code);
}
