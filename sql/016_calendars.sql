-- Business calendars: a WF_CALENDAR entity per code with one dynamic field per version (`calendar_v1`, …), as
-- definitions are stored. The field holds the version's name and rules (field_value_json), its number (version)
-- and when it applies from (field_value_date). A stored version never changes. No new table: the rows live in
-- core_entities and core_dynamic_data, under their forced row-level security, and the views read them as the
-- caller (security_invoker).
create unique index idx_ce_calendar_code on core_entities (organization_id, entity_type, entity_code)
  where entity_type = 'WF_CALENDAR';

create view wf_calendars_view with (security_invoker = true) as
select d.id                                  as calendar_version_id,
       d.organization_id,
       e.entity_code                         as calendar_code,
       d.version,
       d.field_value_json->>'name'           as name,
       d.field_value_date                    as effective_from,
       d.field_value_json->>'time_zone'      as time_zone,
       d.field_value_json->'working_hours'   as working_hours,
       d.field_value_json->'holidays'        as holidays,
       d.field_value_json->'exceptions'      as exceptions,
       d.created_at,
       d.created_by
  from core_dynamic_data d
  join core_entities e on e.id = d.entity_id and e.entity_type = 'WF_CALENDAR'
 where d.field_name like 'calendar_v%';

-- Each calendar's highest version: the one new instances pin.
create view wf_calendars_current_view with (security_invoker = true) as
select distinct on (organization_id, calendar_code) *
  from wf_calendars_view
 order by organization_id, calendar_code, version desc;

grant select on wf_calendars_view, wf_calendars_current_view to hera_app;
