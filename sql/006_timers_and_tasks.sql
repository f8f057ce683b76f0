-- Timers (WF_TIMER transactions) and human tasks (WF_TASK entities with a flat `task` JSON field) as read models.
create index idx_ce_org_task on core_entities (organization_id, id) where entity_type = 'WF_TASK';

create view wf_timers_view with (security_invoker = true) as
select t.id                                         as timer_id,
       t.organization_id,
       (t.metadata->>'instance_id')::uuid           as instance_id,
       t.metadata->>'name'                          as timer_name,
       (t.metadata->>'fire_at')::timestamptz        as fire_at,
       t.metadata->'on_fire'                        as on_fire,
       t.transaction_status                         as timer_status,
       (t.metadata->>'fired_at')::timestamptz       as fired_at,
       t.metadata->>'source'                        as source,
       t.created_at,
       t.updated_at
  from universal_transactions t
 where t.transaction_type = 'WF_TIMER' and t.smart_code = 'HERA.UNIV.WF.TIMER.HEADER.v1';

create view wf_tasks_view with (security_invoker = true) as
select e.id                                         as task_id,
       e.organization_id,
       e.entity_name                                as title,
       e.status,
       d.field_value_json->>'state'                 as task_state,
       (d.field_value_json->>'assignee_user_id')::uuid as assignee_user_id,
       d.field_value_json->>'assignee_role'         as assignee_role,
       (d.field_value_json->>'due_at')::timestamptz as due_at,
       (d.field_value_json->>'sla_at')::timestamptz as sla_at,
       (d.field_value_json->>'instance_id')::uuid   as instance_id,
       d.field_value_json->>'priority'              as priority,
       d.field_value_json->>'outcome'               as outcome,
       (d.field_value_json->>'completed_at')::timestamptz as completed_at,
       (d.field_value_json->>'completed_by')::uuid  as completed_by,
       coalesce((d.field_value_json->>'escalation_count')::int, 0) as escalation_count,
       d.field_value_json                           as task,
       e.created_at,
       d.updated_at
  from core_entities e
  join core_dynamic_data d on d.entity_id = e.id and d.field_name = 'task'
 where e.entity_type = 'WF_TASK' and e.smart_code = 'HERA.UNIV.WF.TASK.ENTITY.v1';

grant select on wf_timers_view, wf_tasks_view to hera_app;
