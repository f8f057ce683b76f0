-- Org isolation enforced by the database: every table's rows are visible only to the organization named by
-- the per-transaction setting hera.org_id. Superusers bypass RLS, so the runtime works as hera_app.
create or replace function hera_current_org() returns uuid
  language sql stable parallel safe
  as $$ select nullif(current_setting('hera.org_id', true), '')::uuid $$;

do $$ begin
  if not exists (select 1 from pg_roles where rolname = 'hera_app') then
    create role hera_app nologin;
  end if;
end $$;

grant usage on schema public to hera_app;
grant execute on function hera_current_org() to hera_app;

alter table core_organizations enable row level security;
alter table core_organizations force row level security;
create policy core_organizations_org_isolation on core_organizations
  using (id = hera_current_org()) with check (id = hera_current_org());
grant select, update on core_organizations to hera_app;

do $$
declare t text;
begin
  foreach t in array array['core_entities', 'core_dynamic_data', 'core_relationships',
                           'universal_transactions', 'universal_transaction_lines'] loop
    execute format('alter table %I enable row level security', t);
    execute format('alter table %I force row level security', t);
    execute format('create policy %I on %I using (organization_id = hera_current_org()) '
                   'with check (organization_id = hera_current_org())', t || '_org_isolation', t);
    execute format('grant select, insert, update, delete on %I to hera_app', t);
  end loop;
end $$;

-- Creating an organization is the one write that cannot name an existing org: a narrow definer function,
-- idempotent by code, instead of opening the table's policy.
create or replace function hera_ensure_organization(p_code text, p_name text, p_actor uuid)
  returns table (id uuid, organization_code text, organization_name text)
  language plpgsql security definer set search_path = public
  as $$
begin
  insert into core_organizations (organization_code, organization_name, created_by, updated_by)
  values (p_code, p_name, p_actor, p_actor)
  on conflict on constraint core_organizations_organization_code_key do nothing;
  return query select o.id, o.organization_code, o.organization_name
    from core_organizations o where o.organization_code = p_code;
end $$;
revoke all on function hera_ensure_organization(text, text, uuid) from public;
grant execute on function hera_ensure_organization(text, text, uuid) to hera_app;

-- JSON accessors for the read models. Under forced row-level security a filter through a non-LEAKPROOF
-- expression (metadata->>'x') is applied only after the policy, row by row; through these LEAKPROOF accessors,
-- used alike by the views and the expression indexes, it is an Index Cond. Creating LEAKPROOF functions needs a
-- superuser (the migrating user).
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
