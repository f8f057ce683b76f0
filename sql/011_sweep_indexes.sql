-- Sweep selections as index conditions under forced RLS: active, unpaused instances by SLA deadline, and
-- PENDING timers by due time (overdue tasks use idx_wf_tasks_due).
create or replace view wf_timers_view with (security_invoker = true) as
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

create index idx_wf_timers_pending_due on universal_transactions (organization_id, wf_meta_time(metadata, 'fire_at'), id)
  where transaction_type = 'WF_TIMER' and transaction_status = 'PENDING';
create index idx_wf_timers_instance on universal_transactions (organization_id, wf_meta_uuid(metadata, 'instance_id'), created_at)
  where transaction_type = 'WF_TIMER';
create index idx_wf_instances_sla_active on universal_transactions (organization_id, wf_meta_time(metadata, 'sla_at'), id)
  where transaction_type = 'WF_INSTANCE' and transaction_status = 'active' and not wf_meta_bool(metadata, 'paused');
