-- Tasks read from their `task` JSON alone (one table), so every task filter and sort can be an index condition
-- under forced row-level security through the LEAKPROOF accessors.
create or replace view wf_tasks_view with (security_invoker = true) as
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

create index idx_wf_tasks_created on core_dynamic_data (organization_id, created_at desc, entity_id desc) where field_name = 'task';
create index idx_wf_tasks_instance on core_dynamic_data (organization_id, wf_meta_uuid(field_value_json, 'instance_id'), created_at desc, entity_id desc)
  where field_name = 'task';
create index idx_wf_tasks_state on core_dynamic_data (organization_id, wf_meta_text(field_value_json, 'state'), created_at desc, entity_id desc)
  where field_name = 'task';
create index idx_wf_tasks_role on core_dynamic_data (organization_id, wf_meta_text(field_value_json, 'assignee_role'), created_at desc, entity_id desc)
  where field_name = 'task';
create index idx_wf_tasks_user on core_dynamic_data (organization_id, wf_meta_uuid(field_value_json, 'assignee_user_id'), created_at desc, entity_id desc)
  where field_name = 'task';
create index idx_wf_tasks_due on core_dynamic_data (organization_id, wf_meta_time(field_value_json, 'due_at'), entity_id)
  where field_name = 'task';
