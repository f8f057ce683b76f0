import type { Sql } from '../pool';
import { smartCodes } from './codes';

export interface DefinitionRow {
  definition_code: string;
  version: number;
  definition: Record<string, unknown>;
  created_at: Date;
}

export type StoreOutcome = 'created' | 'unchanged' | 'conflict';

/** Stores one version of a definition; an existing version is never changed. */
export async function storeDefinitionVersion(
  sql: Sql,
  org: string,
  definition: { code: string; version: number } & Record<string, unknown>,
  actor: string,
): Promise<StoreOutcome> {
  const { rows: anchor } = await sql.query<{ id: string }>(
    `insert into core_entities (organization_id, entity_type, entity_code, entity_name, smart_code, created_by, updated_by)
     values ($1, 'WF_DEFINITION', $2, $2, $3, $4, $4)
     on conflict (organization_id, entity_type, entity_code) where entity_type in ('USER', 'ROLE', 'TEAM', 'WF_DEFINITION')
     do update set updated_at = now()
     returning id`,
    [org, definition.code, smartCodes.definition, actor],
  );
  const field = `definition_v${definition.version}`;
  const { rowCount } = await sql.query(
    `insert into core_dynamic_data (organization_id, entity_id, field_name, field_type, field_value_json, smart_code, created_by, updated_by)
     values ($1, $2, $3, 'json', $4, $5, $6, $6)
     on conflict (organization_id, entity_id, field_name) do nothing`,
    [org, anchor[0].id, field, definition, smartCodes.definition, actor],
  );
  if (rowCount) return 'created';
  const { rows } = await sql.query<{ same: boolean }>(
    'select field_value_json = $3::jsonb as same from core_dynamic_data where organization_id = $1 and entity_id = $2 and field_name = $4',
    [org, anchor[0].id, definition, field],
  );
  return rows[0]?.same ? 'unchanged' : 'conflict';
}

/** The organization's highest registered version of `code`. */
export async function latestDefinition(sql: Sql, org: string, code: string): Promise<DefinitionRow | undefined> {
  const { rows } = await sql.query<DefinitionRow>(
    `select definition_code, version, definition, created_at from wf_definitions_view
      where organization_id = $1 and definition_code = $2 order by version desc limit 1`,
    [org, code],
  );
  return rows[0];
}

/** One registered version of `code`, if the organization has it. */
export async function definitionVersion(sql: Sql, org: string, code: string, version: number): Promise<DefinitionRow | undefined> {
  const { rows } = await sql.query<DefinitionRow>(
    `select definition_code, version, definition, created_at from wf_definitions_view
      where organization_id = $1 and definition_code = $2 and version = $3`,
    [org, code, version],
  );
  return rows[0];
}

export async function listDefinitions(sql: Sql, org: string): Promise<DefinitionRow[]> {
  const { rows } = await sql.query<DefinitionRow>(
    `select definition_code, version, definition, created_at from wf_definitions_view
      where organization_id = $1 order by definition_code, version`,
    [org],
  );
  return rows;
}
