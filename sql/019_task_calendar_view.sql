-- A task's business calendar in the tasks' read model: the code its due time counts in and the version the instance
-- pinned (null on wall-clock time). A cancelled task's status reads `cancelled` (it read `active`).
-- Appended at the end: `create or replace view` keeps the columns before them as they were.
create or replace view wf_tasks_view with (security_invoker = true) as
select d.entity_id                                         as task_id,
       d.organization_id,
       wf_meta_text(d.field_value_json, 'title')           as title,
       case wf_meta_text(d.field_value_json, 'state') when 'COMPLETED' then 'completed' when 'CANCELLED' then 'cancelled' else 'active' end as status,
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
       d.updated_at,
       coalesce((d.field_value_json->>'overdue_level')::int, 0) as overdue_level,
       wf_meta_time(d.field_value_json, 'overdue_check_at') as overdue_check_at,
       wf_meta_text(d.field_value_json, 'calendar')        as calendar,
       wf_meta_int(d.field_value_json, 'calendar_version') as calendar_version
  from core_dynamic_data d
 where d.field_name = 'task' and d.smart_code = 'HERA.UNIV.WF.TASK.DATA.v1';
