-- Each organization's webhook signing secret, in core_organizations.settings.webhook_signing {secret, rotated_at}:
-- under the table's row-level security, so an organization reads and rotates only its own. Every organization
-- has one from its creation (a trigger, whatever creates the row) and the existing ones get theirs here.

-- 'whsec_' and 64 hex digits. gen_random_uuid() draws from the server's strong random source (no pgcrypto needed);
-- two v4 UUIDs give 244 random bits.
create or replace function hera_new_webhook_signing() returns jsonb
  language sql volatile parallel safe
  as $$
    select jsonb_build_object(
      'secret', 'whsec_' || replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', ''),
      'rotated_at', to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
  $$;
grant execute on function hera_new_webhook_signing() to hera_app;

create or replace function hera_organization_webhook_signing() returns trigger
  language plpgsql
  as $$
begin
  if not coalesce(new.settings ? 'webhook_signing', false) then
    new.settings := coalesce(new.settings, '{}') || jsonb_build_object('webhook_signing', hera_new_webhook_signing());
  end if;
  return new;
end $$;

create trigger core_organizations_webhook_signing before insert on core_organizations
  for each row execute function hera_organization_webhook_signing();

update core_organizations
   set settings = coalesce(settings, '{}') || jsonb_build_object('webhook_signing', hera_new_webhook_signing())
 where not coalesce(settings ? 'webhook_signing', false);

-- The secret's read model (admins read it through GET /api/v1/webhooks/secret; the worker signs with it).
create view wf_webhook_signing_view with (security_invoker = true) as
select o.id                                       as organization_id,
       o.settings->'webhook_signing'->>'secret'     as secret,
       o.settings->'webhook_signing'->>'rotated_at' as rotated_at
  from core_organizations o;
grant select on wf_webhook_signing_view to hera_app;
