-- Audit and notification list filters as index conditions under forced RLS, as the instance filters of 009 are:
-- the views read the filtered JSON through the leakproof accessors of 002, and each filter has an index in the
-- lists' keyset order (newest first). Same columns, types and order as before (007, 008, 014).
create or replace view wf_audit_view with (security_invoker = true) as
select a.id                                        as event_id,
       a.organization_id,
       wf_meta_text(a.metadata, 'procedure_code')  as procedure_code,
       a.transaction_status                        as outcome,
       a.metadata->>'error_code'                   as error_code,
       (a.metadata->>'actor_user_id')::uuid        as actor_user_id,
       a.metadata->>'actor'                        as actor,
       wf_meta_uuid(a.metadata, 'instance_id')     as instance_id,
       a.metadata->>'reason'                       as reason,
       a.metadata->>'correlation_id'               as correlation_id,
       a.metadata->>'source'                       as source,
       a.created_at,
       wf_meta_uuid(a.metadata, 'bulk_job_id')     as bulk_job_id
  from universal_transactions a
 where a.transaction_type = 'WF_AUDIT' and a.smart_code = 'HERA.UNIV.WF.AUDIT.EVENT.v1';

create or replace view wf_notifications_view with (security_invoker = true) as
select n.id                                  as notification_id,
       n.organization_id,
       wf_meta_uuid(n.metadata, 'instance_id') as instance_id,
       wf_meta_text(n.metadata, 'template')  as template,
       n.metadata->'recipient'               as recipient,
       n.metadata->'payload'                 as payload,
       n.transaction_status                  as status,
       n.business_context->>'idem_key'       as idempotency_key,
       n.created_at
  from universal_transactions n
 where n.transaction_type = 'WF_NOTIFICATION' and n.smart_code = 'HERA.UNIV.WF.NOTIFICATION.HEADER.v1';

-- The bulk-job filter has its index since 014 (idx_wf_audit_bulk_job); the outcome and status are plain columns.
create index idx_wf_audit_instance on universal_transactions
  (organization_id, wf_meta_uuid(metadata, 'instance_id'), created_at desc, id desc)
  where transaction_type = 'WF_AUDIT';
create index idx_wf_audit_procedure on universal_transactions
  (organization_id, wf_meta_text(metadata, 'procedure_code'), created_at desc, id desc)
  where transaction_type = 'WF_AUDIT';
create index idx_wf_audit_outcome on universal_transactions
  (organization_id, transaction_status, created_at desc, id desc)
  where transaction_type = 'WF_AUDIT';
create index idx_wf_notifications_instance on universal_transactions
  (organization_id, wf_meta_uuid(metadata, 'instance_id'), created_at desc, id desc)
  where transaction_type = 'WF_NOTIFICATION';
create index idx_wf_notifications_template on universal_transactions
  (organization_id, wf_meta_text(metadata, 'template'), created_at desc, id desc)
  where transaction_type = 'WF_NOTIFICATION';
create index idx_wf_notifications_status on universal_transactions
  (organization_id, transaction_status, created_at desc, id desc)
  where transaction_type = 'WF_NOTIFICATION';

-- What the planner knows of the new accessors' values (see 014: a partial index's expression gets no statistics).
create statistics wf_stats_instance_id on (wf_meta_uuid(metadata, 'instance_id')) from universal_transactions;
create statistics wf_stats_procedure_code on (wf_meta_text(metadata, 'procedure_code')) from universal_transactions;
create statistics wf_stats_template on (wf_meta_text(metadata, 'template')) from universal_transactions;
create statistics wf_stats_bulk_job_id on (wf_meta_uuid(metadata, 'bulk_job_id')) from universal_transactions;
