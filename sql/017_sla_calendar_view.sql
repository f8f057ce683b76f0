-- The SLA's business calendar in the instances' read model: its code and the version the instance pinned (null on
-- wall-clock time), and the warning tiers' moments counted in its working time (a jsonb array of ISO instants).
-- Appended at the end: `create or replace view` keeps the columns before them as they were.
create or replace view wf_instances_view with (security_invoker = true) as
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
       coalesce(wf_meta_int(ut.metadata, 'sla_warning_level'), 0)    as sla_warning_level,
       coalesce(wf_meta_int(ut.metadata, 'sla_escalation_level'), 0) as sla_escalation_level,
       wf_meta_time(ut.metadata, 'sla_escalated_at')  as sla_escalated_at,
       wf_meta_time(ut.metadata, 'sla_check_at')      as sla_check_at,
       (ut.metadata->>'sla_duration_ms')::float8      as sla_duration_ms,
       coalesce(wf_meta_int(ut.metadata, 'failed_effects'), 0)       as failed_effects,
       wf_meta_text(ut.metadata, 'sla_calendar')      as sla_calendar,
       wf_meta_int(ut.metadata, 'sla_calendar_version') as sla_calendar_version,
       ut.metadata->'sla_warnings_at'                 as sla_warnings_at
  from universal_transactions ut
 where ut.transaction_type = 'WF_INSTANCE'
   and ut.smart_code = 'HERA.UNIV.WF.INSTANCE.HEADER.v1';
