-- Instance list filters and sorts as index conditions under forced RLS, through the accessors of 002.
create index idx_wf_instances_state on universal_transactions
  (organization_id, wf_meta_text(metadata, 'current_state'), created_at desc, id desc)
  where transaction_type = 'WF_INSTANCE';
create index idx_wf_instances_definition on universal_transactions
  (organization_id, wf_meta_text(metadata, 'definition_code'), created_at desc, id desc)
  where transaction_type = 'WF_INSTANCE';
create index idx_wf_instances_owner_team on universal_transactions
  (organization_id, wf_meta_text(metadata, 'owner_team'), created_at desc, id desc)
  where transaction_type = 'WF_INSTANCE';
create index idx_wf_instances_owner_user on universal_transactions
  (organization_id, wf_meta_uuid(metadata, 'owner_user_id'), created_at desc, id desc)
  where transaction_type = 'WF_INSTANCE';
create index idx_wf_instances_paused on universal_transactions (organization_id, created_at desc, id desc)
  where transaction_type = 'WF_INSTANCE' and wf_meta_bool(metadata, 'paused');
create index idx_wf_instances_sla on universal_transactions (organization_id, wf_meta_time(metadata, 'sla_at'), id)
  where transaction_type = 'WF_INSTANCE';
create index idx_wf_instances_updated on universal_transactions (organization_id, updated_at desc, id desc)
  where transaction_type = 'WF_INSTANCE';
