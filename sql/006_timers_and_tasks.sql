-- Timers (WF_TIMER transactions) and human tasks (WF_TASK entities with a flat `task` JSON field) as read models;
-- a task is read from its JSON alone (one table), so its filters can be index conditions.

create view wf_timers_view with (security_invoker = true) as
select t.id                                         as timer_id,
       t.organization_id,
       wf_meta_uuid(t.metadata, 'instance_id')      as instance_id,
       t.metadata->>'name'                          as timer_name,
       wf_meta_time(t.metadata, 'fire_at')          as fire_at,
       t.metadata->'on_fire'                        as on_fire,
       t.transaction_status                         as timer_status,
       (t.metadata->>'fired_at')::timestamptz       as fired_at,
       t.metadata->>'source'                        as source,
       t.created_at,
       t.updated_at
  from universal_transactions t
 where t.transaction_type = 'WF_TIMER' and t.smart_code = 'HERA.UNIV.WF.TIMER.HEADER.v1';

create view wf_tasks_view with (security_invoker = true) as
select d.entity_id                                         as task_id,
       d.organization_id,
       wf_meta_text(d.field_value_json, 'title')           as title,
       case when wf_meta_text(d.field_value_json, 'state') = 'COMPLETED' then 'completed' else 'active' end as status,
       wf_meta_text(d.field_value_json, 'state')           as task_state,
       wf_meta_uuid(d.field_value_json, 'assignee_user_id') as assignee_user_id,
       wf_meta_text(d.field_value_json, 'assignee_role')   as assignee_role,
       wf_meta_time(d.field_value_json, 'due_at')          as due_at,
       wf_meta_time(d.field_value_json, 'sla_at')          as sla_at,
       wf_meta_uuid(d.field_value_json, 'instance_id')     as instance_id,
       wf_meta_text(d.field_value_json, 'priority')        as priority,
       d.field_value_json->>'outcome'                      as outcome,
       wf_meta_time(d.field_value_json, 'completed_at')    as completed_at,
       (d.field_value_json->>'completed_by')::uuid         as completed_by,
       coalesce((d.field_value_json->>'escalation_count')::int, 0) as escalation_count,
       d.field_value_json                                  as task,
       d.created_at,
       d.updated_at
  from core_dynamic_data d
 where d.field_name = 'task' and d.smart_code = 'HERA.UNIV.WF.TASK.DATA.v1';

grant select on wf_timers_view, wf_tasks_view to hera_app;
