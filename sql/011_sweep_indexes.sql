-- Sweep selections as index conditions under forced RLS: active, unpaused instances by SLA deadline, and
-- PENDING timers by due time (overdue tasks use idx_wf_tasks_due).
create index idx_wf_timers_pending_due on universal_transactions (organization_id, wf_meta_time(metadata, 'fire_at'), id)
  where transaction_type = 'WF_TIMER' and transaction_status = 'PENDING';
create index idx_wf_timers_instance on universal_transactions (organization_id, wf_meta_uuid(metadata, 'instance_id'), created_at)
  where transaction_type = 'WF_TIMER';
create index idx_wf_instances_sla_active on universal_transactions (organization_id, wf_meta_time(metadata, 'sla_at'), id)
  where transaction_type = 'WF_INSTANCE' and transaction_status = 'active' and not wf_meta_bool(metadata, 'paused');
