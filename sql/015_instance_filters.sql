-- Instance filters for bulk jobs: instances with permanently failed effects, by SLA escalation level, by last
-- change. Each is served by an index under forced RLS, as the filters of 009 are.

-- An integer through a leakproof accessor (see wf_meta_text in 002): a filter on it can be an index condition.
create or replace function wf_meta_int(m jsonb, k text) returns int
  language plpgsql immutable strict leakproof parallel safe
  as $$
declare v text := m->>k;
begin
  if v ~ '^-?\d{1,9}$' then return v::int; end if;
  return null;
end $$;
grant execute on function wf_meta_int(jsonb, text) to hera_app;

-- The header counts its permanently failed effects (`failed_effects`), kept by the database itself whatever moves
-- an effect in or out of PERMANENTLY_FAILED (the effect's last attempt, a retry reopening it). A change of one,
-- not a recount, so concurrent changes of one instance's effects add up under the header's row lock.
create or replace function hera_count_failed_effects() returns trigger
  language plpgsql
  as $$
begin
  update universal_transactions h
     set metadata = h.metadata || jsonb_build_object('failed_effects',
           greatest(coalesce(wf_meta_int(h.metadata, 'failed_effects'), 0)
                    + case when new.transaction_status = 'PERMANENTLY_FAILED' then 1 else -1 end, 0))
   where h.organization_id = new.organization_id
     and h.id = wf_meta_uuid(new.metadata, 'instance_id')
     and h.transaction_type = 'WF_INSTANCE';
  return null;
end $$;
create trigger wf_effects_count_failed after update of transaction_status on universal_transactions
  for each row
  when (new.transaction_type = 'WF_EFFECT'
        and (old.transaction_status = 'PERMANENTLY_FAILED') is distinct from (new.transaction_status = 'PERMANENTLY_FAILED'))
  execute function hera_count_failed_effects();

-- Instances written before this migration: their count now.
update universal_transactions h
   set metadata = h.metadata || jsonb_build_object('failed_effects', f.n)
  from (select organization_id, wf_meta_uuid(metadata, 'instance_id') as instance_id, count(*)::int as n
          from universal_transactions
         where transaction_type = 'WF_EFFECT' and transaction_status = 'PERMANENTLY_FAILED'
         group by 1, 2) f
 where h.transaction_type = 'WF_INSTANCE' and h.organization_id = f.organization_id and h.id = f.instance_id;

-- The levels through the leakproof accessor, and the failed-effect count, in the instances' read model.
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
       coalesce(wf_meta_int(ut.metadata, 'failed_effects'), 0)       as failed_effects
  from universal_transactions ut
 where ut.transaction_type = 'WF_INSTANCE'
   and ut.smart_code = 'HERA.UNIV.WF.INSTANCE.HEADER.v1';

-- Newest first, like the list's default order; the filter is each index's predicate. Escalation levels are 0–3,
-- so `at least N` is one small index per level (only breached instances are in them).
create index idx_wf_instances_failed_effects on universal_transactions (organization_id, created_at desc, id desc)
  where transaction_type = 'WF_INSTANCE' and coalesce(wf_meta_int(metadata, 'failed_effects'), 0) >= 1;
create index idx_wf_instances_sla_level_1 on universal_transactions (organization_id, created_at desc, id desc)
  where transaction_type = 'WF_INSTANCE' and coalesce(wf_meta_int(metadata, 'sla_escalation_level'), 0) >= 1;
create index idx_wf_instances_sla_level_2 on universal_transactions (organization_id, created_at desc, id desc)
  where transaction_type = 'WF_INSTANCE' and coalesce(wf_meta_int(metadata, 'sla_escalation_level'), 0) >= 2;
create index idx_wf_instances_sla_level_3 on universal_transactions (organization_id, created_at desc, id desc)
  where transaction_type = 'WF_INSTANCE' and coalesce(wf_meta_int(metadata, 'sla_escalation_level'), 0) >= 3;
