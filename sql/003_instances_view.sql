-- Read model of workflow instances: WF_INSTANCE headers with their JSON unpacked, JSON as JSON, ids as uuid.
-- start_request_hash: START's idempotency, the digest of the request that created the instance.
create view wf_instances_view with (security_invoker = true) as
select ut.id                                          as instance_id,
       ut.organization_id,
       wf_meta_text(ut.metadata, 'definition_code')   as definition_code,
       (ut.metadata->>'definition_version')::int      as definition_version,
       wf_meta_text(ut.metadata, 'current_state')     as current_state,
       ut.metadata->'subject_ref'                     as subject_ref,
       ut.metadata->'context'                         as context,
       wf_meta_time(ut.metadata, 'sla_at')            as sla_at,
       wf_meta_bool(ut.metadata, 'paused')            as paused,
       wf_meta_text(ut.metadata, 'owner_team')        as owner_team,
       wf_meta_uuid(ut.metadata, 'owner_user_id')     as owner_user_id,
       ut.metadata->>'correlation_id'                 as correlation_id,
       ut.transaction_status                          as status,
       ut.created_at,
       ut.updated_at,
       ut.metadata->>'start_request_hash'             as start_request_hash,
       wf_meta_time(ut.metadata, 'paused_at')         as paused_at,
       ut.metadata->>'pause_reason'                   as pause_reason,
       ut.metadata->>'paused_by'                      as paused_by,
       coalesce((ut.metadata->>'sla_warning_level')::int, 0)    as sla_warning_level,
       coalesce((ut.metadata->>'sla_escalation_level')::int, 0) as sla_escalation_level,
       wf_meta_time(ut.metadata, 'sla_escalated_at')  as sla_escalated_at
  from universal_transactions ut
 where ut.transaction_type = 'WF_INSTANCE'
   and ut.smart_code = 'HERA.UNIV.WF.INSTANCE.HEADER.v1';

grant select on wf_instances_view to hera_app;
