-- The SLA sweep: the platform organization that owns the sweep's run records, the organizations a sweep visits,
-- the moments each instance and task is next due for a level (sla_check_at, overdue_check_at) as index
-- conditions, and the run records' read model.

-- Sweep runs span organizations, so their records belong to the platform itself, never to a tenant.
insert into core_organizations (id, organization_name, organization_code, organization_type, created_by, updated_by)
values ('00000000-0000-4000-8000-0000000000f0', 'HERA platform', 'HERA-PLATFORM', 'platform',
        '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000001')
on conflict (id) do nothing;

-- Row-level security hides other organizations from the app role; the sweep needs their ids (and nothing more).
create or replace function hera_sweep_organizations(p_filter uuid[])
  returns setof uuid
  language sql stable security definer set search_path = public
  as $$
    select o.id from core_organizations o
     where o.organization_type is distinct from 'platform' and coalesce(o.status, 'active') = 'active'
       and (p_filter is null or o.id = any(p_filter))
     order by o.id
  $$;
revoke all on function hera_sweep_organizations(uuid[]) from public;
grant execute on function hera_sweep_organizations(uuid[]) to hera_app;

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
       coalesce((ut.metadata->>'sla_warning_level')::int, 0)    as sla_warning_level,
       coalesce((ut.metadata->>'sla_escalation_level')::int, 0) as sla_escalation_level,
       wf_meta_time(ut.metadata, 'sla_escalated_at')  as sla_escalated_at,
       wf_meta_time(ut.metadata, 'sla_check_at')      as sla_check_at,
       (ut.metadata->>'sla_duration_ms')::float8      as sla_duration_ms
  from universal_transactions ut
 where ut.transaction_type = 'WF_INSTANCE'
   and ut.smart_code = 'HERA.UNIV.WF.INSTANCE.HEADER.v1';

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
       d.updated_at,
       coalesce((d.field_value_json->>'overdue_level')::int, 0) as overdue_level,
       wf_meta_time(d.field_value_json, 'overdue_check_at') as overdue_check_at
  from core_dynamic_data d
 where d.field_name = 'task' and d.smart_code = 'HERA.UNIV.WF.TASK.DATA.v1';

-- Only what is due for a level is read: active unpaused instances by their next SLA check, open tasks by their
-- next overdue check.
create index idx_wf_instances_sla_check on universal_transactions (organization_id, wf_meta_time(metadata, 'sla_check_at'), id)
  where transaction_type = 'WF_INSTANCE' and transaction_status = 'active' and not wf_meta_bool(metadata, 'paused');
create index idx_wf_tasks_overdue_check on core_dynamic_data (organization_id, wf_meta_time(field_value_json, 'overdue_check_at'), entity_id)
  where field_name = 'task' and wf_meta_text(field_value_json, 'state') <> 'COMPLETED';

-- Instances and tasks written before this migration: the breach check at their deadline (their SLA's length is
-- in their workflow, so warnings start with the next recalculation), and the first overdue check of open tasks.
update universal_transactions
   set metadata = metadata || jsonb_build_object('sla_check_at', metadata->>'sla_at')
 where transaction_type = 'WF_INSTANCE' and transaction_status = 'active'
   and wf_meta_time(metadata, 'sla_at') is not null and not metadata ? 'sla_check_at';
update core_dynamic_data
   set field_value_json = field_value_json || jsonb_build_object('overdue_level', 0, 'overdue_check_at',
         to_char((wf_meta_time(field_value_json, 'due_at') + interval '1 hour') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
 where field_name = 'task' and wf_meta_text(field_value_json, 'state') <> 'COMPLETED'
   and wf_meta_time(field_value_json, 'due_at') is not null and not field_value_json ? 'overdue_check_at';

-- One record per sweep run (WF_SCHEDULER_RUN, in the platform organization): trigger, as_of, counts, duration.
create view wf_scheduler_runs_view with (security_invoker = true) as
select r.id                                     as run_id,
       r.organization_id,
       r.metadata->>'trigger'                   as trigger,
       (r.metadata->>'as_of')::timestamptz      as as_of,
       r.metadata->'organization_filter'        as organization_filter,
       r.metadata->'counts'                     as counts,
       (r.metadata->>'run_duration_ms')::int    as run_duration_ms,
       (r.metadata->>'started_at')::timestamptz as started_at,
       r.transaction_status                     as status,
       r.created_at
  from universal_transactions r
 where r.transaction_type = 'WF_SCHEDULER_RUN' and r.smart_code = 'HERA.UNIV.WF.SCHEDULER.RUN.v1';

grant select on wf_instances_view, wf_tasks_view, wf_scheduler_runs_view to hera_app;
