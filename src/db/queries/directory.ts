import type { Sql } from '../pool';
import { smartCodes } from './codes';

export interface UserRow {
  user_id: string;
  name: string;
  manager_user_id: string | null;
  roles: string[];
  teams: string[];
}

export interface TeamRow {
  team_code: string;
  name: string;
}

export async function upsertTeam(sql: Sql, org: string, code: string, name: string, actor: string): Promise<TeamRow> {
  const { rows } = await sql.query<TeamRow>(
    `insert into core_entities (organization_id, entity_type, entity_code, entity_name, smart_code, created_by, updated_by)
     values ($1, 'TEAM', $2, $3, $4, $5, $5)
     on conflict (organization_id, entity_type, entity_code) where entity_type in ('USER', 'ROLE', 'TEAM', 'WF_DEFINITION')
     do update set entity_name = excluded.entity_name, updated_at = now(), updated_by = excluded.updated_by
     returning entity_code as team_code, entity_name as name`,
    [org, code, name, smartCodes.team, actor],
  );
  return rows[0];
}

/** Team codes among `codes` that the organization does not have. */
export async function missingTeams(sql: Sql, org: string, codes: string[]): Promise<string[]> {
  const { rows } = await sql.query<{ code: string }>(
    `select c.code from unnest($2::text[]) as c(code)
      where not exists (select 1 from wf_teams_view t where t.organization_id = $1 and t.team_code = c.code)`,
    [org, codes],
  );
  return rows.map((r) => r.code);
}

export async function findUser(sql: Sql, org: string, userId: string): Promise<UserRow | undefined> {
  const { rows } = await sql.query<UserRow>(
    'select user_id, name, manager_user_id, roles, teams from wf_users_view where organization_id = $1 and user_id = $2',
    [org, userId],
  );
  return rows[0];
}

export interface UserChange {
  userId: string;
  name: string;
  managerUserId: string | null;
  roles: string[];
  teams: string[];
}

/**
 * Creates or replaces a user with exactly the given roles and teams (roles are created on first use).
 * Answers false when the id belongs to another organization's entity.
 */
export async function replaceUser(sql: Sql, org: string, change: UserChange, actor: string): Promise<boolean> {
  const { rowCount } = await sql.query(
    `insert into core_entities (id, organization_id, entity_type, entity_code, entity_name, smart_code, metadata, created_by, updated_by)
     values ($1::uuid, $2, 'USER', $1::uuid::text, $3, $4, jsonb_build_object('manager_user_id', $5::uuid), $6, $6)
     on conflict (id) do update set entity_name = excluded.entity_name, metadata = core_entities.metadata || excluded.metadata,
       updated_at = now(), updated_by = excluded.updated_by
     where core_entities.organization_id = excluded.organization_id and core_entities.entity_type = 'USER'`,
    [change.userId, org, change.name, smartCodes.user, change.managerUserId, actor],
  );
  if (!rowCount) return false;
  await sql.query(
    `insert into core_entities (organization_id, entity_type, entity_code, entity_name, smart_code, created_by, updated_by)
     select $1, 'ROLE', r, r, $3, $4, $4 from unnest($2::text[]) as r
     on conflict (organization_id, entity_type, entity_code) where entity_type in ('USER', 'ROLE', 'TEAM', 'WF_DEFINITION') do nothing`,
    [org, change.roles, smartCodes.role, actor],
  );
  await sql.query(
    `delete from core_relationships where organization_id = $1 and from_entity_id = $2 and relationship_type in ('HAS_ROLE', 'MEMBER_OF')`,
    [org, change.userId],
  );
  await sql.query(
    `insert into core_relationships (organization_id, from_entity_id, to_entity_id, relationship_type, smart_code, created_by, updated_by)
     select $1, $2, e.id, case e.entity_type when 'ROLE' then 'HAS_ROLE' else 'MEMBER_OF' end,
            case e.entity_type when 'ROLE' then $5 else $6 end, $7, $7
       from core_entities e
      where e.organization_id = $1
        and ((e.entity_type = 'ROLE' and e.entity_code = any($3::text[])) or (e.entity_type = 'TEAM' and e.entity_code = any($4::text[])))`,
    [org, change.userId, change.roles, change.teams, smartCodes.hasRole, smartCodes.memberOf, actor],
  );
  return true;
}

/** Ids of the organization's users holding `role`. */
export async function usersWithRole(sql: Sql, org: string, role: string): Promise<string[]> {
  const { rows } = await sql.query<{ user_id: string }>(
    'select user_id from wf_users_view where organization_id = $1 and $2 = any(roles) order by user_id',
    [org, role],
  );
  return rows.map((r) => r.user_id);
}
