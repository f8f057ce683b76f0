-- Task list filters and sorts as index conditions under forced RLS (tasks are read from their JSON alone).
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
