-- Indexes that stay index conditions under forced row-level security. A filter through a non-LEAKPROOF
-- expression (metadata->>'x') is applied only after the policy, row by row; through these LEAKPROOF accessors
-- it becomes an Index Cond. Creating LEAKPROOF functions needs a superuser (the migrating user).
-- wf_meta_time is IMMUTABLE because HERA writes every timestamp as a strict ISO-8601 UTC string ('…Z').
create or replace function wf_meta_text(m jsonb, k text) returns text
  language plpgsql immutable strict leakproof parallel safe
  as $$ begin return m->>k; end $$;
-- The casts are guarded by patterns rather than exception blocks: no error can depend on the data (leakproof),
-- and no subtransaction is needed (parallel index builds refuse them).
create or replace function wf_meta_bool(m jsonb, k text) returns boolean
  language plpgsql immutable strict leakproof parallel safe
  as $$ begin return coalesce(m->>k = 'true', false); end $$;
create or replace function wf_meta_uuid(m jsonb, k text) returns uuid
  language plpgsql immutable strict leakproof parallel safe
  as $$
declare v text := m->>k;
begin
  if v ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then return v::uuid; end if;
  return null;
end $$;
create or replace function wf_meta_time(m jsonb, k text) returns timestamptz
  language plpgsql immutable strict leakproof parallel safe
  as $$
declare v text := m->>k;
begin
  if v ~ '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$' then return v::timestamptz; end if;
  return null;
end $$;
grant execute on function wf_meta_text(jsonb, text), wf_meta_bool(jsonb, text), wf_meta_uuid(jsonb, text), wf_meta_time(jsonb, text) to hera_app;

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
       ut.metadata->>'start_request_hash'             as start_request_hash
  from universal_transactions ut
 where ut.transaction_type = 'WF_INSTANCE'
   and ut.smart_code = 'HERA.UNIV.WF.INSTANCE.HEADER.v1';

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
