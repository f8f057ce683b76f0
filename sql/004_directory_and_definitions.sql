-- Directory (USER, ROLE, TEAM entities; HAS_ROLE, MEMBER_OF relationships) and versioned definitions
-- (a WF_DEFINITION entity per code with one dynamic field per version).
create unique index idx_ce_directory_code on core_entities (organization_id, entity_type, entity_code)
  where entity_type in ('USER', 'ROLE', 'TEAM', 'WF_DEFINITION');
create unique index idx_cr_directory_link on core_relationships (organization_id, from_entity_id, to_entity_id, relationship_type)
  where relationship_type in ('HAS_ROLE', 'MEMBER_OF');

create view wf_users_view with (security_invoker = true) as
select u.id                                        as user_id,
       u.organization_id,
       u.entity_name                               as name,
       (u.metadata->>'manager_user_id')::uuid      as manager_user_id,
       coalesce(array(select r.entity_code from core_relationships l
                        join core_entities r on r.id = l.to_entity_id
                       where l.from_entity_id = u.id and l.relationship_type = 'HAS_ROLE' and l.is_active
                       order by r.entity_code), '{}') as roles,
       coalesce(array(select t.entity_code from core_relationships l
                        join core_entities t on t.id = l.to_entity_id
                       where l.from_entity_id = u.id and l.relationship_type = 'MEMBER_OF' and l.is_active
                       order by t.entity_code), '{}') as teams,
       u.created_at,
       u.updated_at
  from core_entities u
 where u.entity_type = 'USER';

create view wf_teams_view with (security_invoker = true) as
select t.id as team_id, t.organization_id, t.entity_code as team_code, t.entity_name as name, t.created_at, t.updated_at
  from core_entities t
 where t.entity_type = 'TEAM';

create view wf_definitions_view with (security_invoker = true) as
select d.organization_id,
       e.entity_code                               as definition_code,
       (d.field_value_json->>'version')::int       as version,
       d.field_value_json                          as definition,
       d.created_at,
       d.created_by
  from core_dynamic_data d
  join core_entities e on e.id = d.entity_id and e.entity_type = 'WF_DEFINITION'
 where d.field_name like 'definition_v%';

grant select on wf_users_view, wf_teams_view, wf_definitions_view to hera_app;
