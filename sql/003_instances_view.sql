-- Read model of workflow instances: WF_INSTANCE headers with their JSON unpacked, JSON as JSON, ids as uuid.
-- start_request_hash: START's idempotency, the digest of the request that created the instance.
create view wf_instances_view with (security_invoker = true) as
select ut.id                                          as instance_id,
       ut.organization_id,
       ut.metadata->>'definition_code'                as definition_code,
       (ut.metadata->>'definition_version')::int      as definition_version,
       ut.metadata->>'current_state'                  as current_state,
       ut.metadata->'subject_ref'                     as subject_ref,
       ut.metadata->'context'                         as context,
       (ut.metadata->>'sla_at')::timestamptz          as sla_at,
       coalesce((ut.metadata->>'paused')::boolean, false) as paused,
       ut.metadata->>'owner_team'                     as owner_team,
       (ut.metadata->>'owner_user_id')::uuid          as owner_user_id,
       ut.metadata->>'correlation_id'                 as correlation_id,
       ut.transaction_status                          as status,
       ut.created_at,
       ut.updated_at,
       ut.metadata->>'start_request_hash'             as start_request_hash
  from universal_transactions ut
 where ut.transaction_type = 'WF_INSTANCE'
   and ut.smart_code = 'HERA.UNIV.WF.INSTANCE.HEADER.v1';

grant select on wf_instances_view to hera_app;
