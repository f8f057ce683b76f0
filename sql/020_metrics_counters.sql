-- Metrics that cost the same at 1,000 or 1,000,000 instances: counters the database keeps itself, whatever writes
-- an instance, a task or an effect (every activity, a reconcile, a bulk load), as it keeps `failed_effects` (015).
-- A statement-level trigger adds up what one statement changed (each row's key before, minus one, and after, plus
-- one) and applies the sums in key order, so a statement changing many rows touches each counter once and
-- concurrent statements lock counters in the same order. Counters are core_dynamic_data rows of one WF_METRICS
-- entity per organization: `metric:<key>` (field_value_number, the key as JSON in field_value_json) and hourly
-- `hour:<key>` rows (field_value_date: the hour).
--
-- Keys: ["i", definition, state, status, paused, breached] per instance (breached: the SLA's breach is recorded,
-- sla_escalation_level ≥ 1); ["t", role, priority, overdue] per OPEN or CLAIMED task (overdue: its first overdue
-- level is recorded, an hour past due); ["effects_failed"] per PERMANENTLY_FAILED effect; hourly ["started"] by
-- the hour an instance was created, ["completed"] by the hour it completed (its last change) and ["due"] by the
-- hour its SLA falls due while it runs, not paused and not breached (what is at risk within a day, hour by hour).

create or replace function hera_metrics_entity(org uuid) returns uuid
  language sql immutable parallel safe
  as $$ select md5('hera-metrics:' || org::text)::uuid $$;

create or replace function hera_metrics_hour(t timestamptz) returns timestamptz
  language sql immutable parallel safe
  as $$ select date_trunc('hour', t at time zone 'UTC') at time zone 'UTC' $$;

create or replace function hera_instance_metric_key(m jsonb, status text) returns jsonb
  language sql immutable parallel safe
  as $$ select jsonb_build_array('i', m->>'definition_code', m->>'current_state', status, wf_meta_bool(m, 'paused'),
                                 coalesce(wf_meta_int(m, 'sla_escalation_level'), 0) >= 1) $$;

-- Null for a closed task: only open ones are counted.
create or replace function hera_task_metric_key(m jsonb) returns jsonb
  language sql immutable parallel safe
  as $$ select case when m->>'state' in ('OPEN', 'CLAIMED')
                    then jsonb_build_array('t', m->>'assignee_role', m->>'priority', coalesce(wf_meta_int(m, 'overdue_level'), 0) >= 1) end $$;

-- A change of one counter: +n or -n under key (an hourly counter when hour is set).
create type hera_metric_change as (org uuid, key jsonb, hour timestamptz, n bigint);

-- Applies the non-zero changes, in key order, creating the organization's anchor first.
create or replace function hera_bump_metrics(changes hera_metric_change[]) returns void
  language plpgsql
  as $$
declare
  actor constant uuid := '00000000-0000-4000-8000-000000000001';
begin
  if not exists (select 1 from unnest(changes) c where c.n <> 0) then return; end if;
  insert into core_entities (id, organization_id, entity_type, entity_code, entity_name, smart_code, created_by, updated_by)
  select distinct hera_metrics_entity(c.org), c.org, 'WF_METRICS', 'WF_METRICS', 'Workflow metrics', 'HERA.UNIV.WF.METRICS.ANCHOR.v1', actor, actor
    from unnest(changes) c where c.n <> 0
  on conflict (id) do nothing;
  insert into core_dynamic_data (organization_id, entity_id, field_name, field_type, field_value_number, field_value_json,
                                 field_value_date, smart_code, created_by, updated_by)
  select c.org, hera_metrics_entity(c.org),
         case when c.hour is null then 'metric:' else 'hour:' || to_char(c.hour at time zone 'UTC', 'YYYY-MM-DD"T"HH24') || ':' end || c.key::text,
         'number', c.n, c.key, c.hour,
         case when c.hour is null then 'HERA.UNIV.WF.METRIC.COUNT.v1' else 'HERA.UNIV.WF.METRIC.HOURLY.v1' end, actor, actor
    from unnest(changes) c where c.n <> 0
   order by 1, 3
  on conflict (organization_id, entity_id, field_name) do update
    set field_value_number = core_dynamic_data.field_value_number + excluded.field_value_number, updated_at = now();
end $$;

-- The keys one row counts under (with its organization and, for hourly counters, the hour): an instance its
-- instance key, its start hour and, once completed, its completion hour; a failed effect; an open task.
create or replace function hera_transaction_metric_keys(organization uuid, kind text, code text, status text, m jsonb, created timestamptz, updated timestamptz)
  returns table (org uuid, key jsonb, hour timestamptz)
  language sql immutable parallel safe
  as $$
  select organization, hera_instance_metric_key(m, status), null::timestamptz
   where kind = 'WF_INSTANCE' and code = 'HERA.UNIV.WF.INSTANCE.HEADER.v1'
  union all
  select organization, '["started"]'::jsonb, hera_metrics_hour(created)
   where kind = 'WF_INSTANCE' and code = 'HERA.UNIV.WF.INSTANCE.HEADER.v1'
  union all
  select organization, '["completed"]'::jsonb, hera_metrics_hour(updated)
   where kind = 'WF_INSTANCE' and code = 'HERA.UNIV.WF.INSTANCE.HEADER.v1' and status = 'completed'
  union all
  select organization, '["due"]'::jsonb, hera_metrics_hour(wf_meta_time(m, 'sla_at'))
   where kind = 'WF_INSTANCE' and code = 'HERA.UNIV.WF.INSTANCE.HEADER.v1' and status = 'active' and not wf_meta_bool(m, 'paused')
     and coalesce(wf_meta_int(m, 'sla_escalation_level'), 0) = 0 and wf_meta_time(m, 'sla_at') is not null
  union all
  select organization, '["effects_failed"]'::jsonb, null::timestamptz
   where kind = 'WF_EFFECT' and code = 'HERA.UNIV.WF.EFFECT.HEADER.v1' and status = 'PERMANENTLY_FAILED'
  $$;

create or replace function hera_task_metric_keys(organization uuid, field text, code text, m jsonb)
  returns table (org uuid, key jsonb, hour timestamptz)
  language sql immutable parallel safe
  as $$
  select organization, hera_task_metric_key(m), null::timestamptz
   where field = 'task' and code = 'HERA.UNIV.WF.TASK.DATA.v1' and hera_task_metric_key(m) is not null
  $$;

-- Each trigger sums what its statement changed per key (a row's keys before: minus one; after: plus one), leaves
-- out the zero sums and applies the rest. Rows of other kinds have no keys and cost a filter. The transition tables
-- exist per operation (no old rows on insert), hence a branch per operation; each statement is planned once.
create or replace function hera_count_transactions() returns trigger
  language plpgsql
  as $$
begin
  if tg_op = 'INSERT' then
    perform hera_bump_metrics(array(
      select (k.org, k.key, k.hour, count(*))::hera_metric_change from new_rows r, hera_transaction_metric_keys(r.organization_id, r.transaction_type, r.smart_code, r.transaction_status, r.metadata, r.created_at, r.updated_at) k group by k.org, k.key, k.hour));
  elsif tg_op = 'UPDATE' then
    perform hera_bump_metrics(array(
      select (c.org, c.key, c.hour, sum(c.n))::hera_metric_change
        from (select k.*, -1 as n from old_rows r, hera_transaction_metric_keys(r.organization_id, r.transaction_type, r.smart_code, r.transaction_status, r.metadata, r.created_at, r.updated_at) k
              union all
              select k.*, 1 from new_rows r, hera_transaction_metric_keys(r.organization_id, r.transaction_type, r.smart_code, r.transaction_status, r.metadata, r.created_at, r.updated_at) k) c
       group by c.org, c.key, c.hour));
  else
    perform hera_bump_metrics(array(
      select (k.org, k.key, k.hour, -count(*))::hera_metric_change from old_rows r, hera_transaction_metric_keys(r.organization_id, r.transaction_type, r.smart_code, r.transaction_status, r.metadata, r.created_at, r.updated_at) k group by k.org, k.key, k.hour));
  end if;
  return null;
end $$;

create or replace function hera_count_tasks() returns trigger
  language plpgsql
  as $$
begin
  -- The counters' own writes (core_dynamic_data rows too) count nothing: no task is written from a trigger.
  if pg_trigger_depth() > 1 then return null; end if;
  if tg_op = 'INSERT' then
    perform hera_bump_metrics(array(
      select (k.org, k.key, k.hour, count(*))::hera_metric_change from new_rows r, hera_task_metric_keys(r.organization_id, r.field_name, r.smart_code, r.field_value_json) k group by k.org, k.key, k.hour));
  elsif tg_op = 'UPDATE' then
    perform hera_bump_metrics(array(
      select (c.org, c.key, c.hour, sum(c.n))::hera_metric_change
        from (select k.*, -1 as n from old_rows r, hera_task_metric_keys(r.organization_id, r.field_name, r.smart_code, r.field_value_json) k
              union all
              select k.*, 1 from new_rows r, hera_task_metric_keys(r.organization_id, r.field_name, r.smart_code, r.field_value_json) k) c
       group by c.org, c.key, c.hour));
  else
    perform hera_bump_metrics(array(
      select (k.org, k.key, k.hour, -count(*))::hera_metric_change from old_rows r, hera_task_metric_keys(r.organization_id, r.field_name, r.smart_code, r.field_value_json) k group by k.org, k.key, k.hour));
  end if;
  return null;
end $$;

create trigger wf_metrics_transactions_insert after insert on universal_transactions
  referencing new table as new_rows for each statement execute function hera_count_transactions();
create trigger wf_metrics_transactions_update after update on universal_transactions
  referencing old table as old_rows new table as new_rows for each statement execute function hera_count_transactions();
create trigger wf_metrics_transactions_delete after delete on universal_transactions
  referencing old table as old_rows for each statement execute function hera_count_transactions();
create trigger wf_metrics_tasks_insert after insert on core_dynamic_data
  referencing new table as new_rows for each statement execute function hera_count_tasks();
create trigger wf_metrics_tasks_update after update on core_dynamic_data
  referencing old table as old_rows new table as new_rows for each statement execute function hera_count_tasks();
create trigger wf_metrics_tasks_delete after delete on core_dynamic_data
  referencing old table as old_rows for each statement execute function hera_count_tasks();

-- What is already there, counted once (as the owner: every organization).
select hera_bump_metrics(array(
  select (k.org, k.key, k.hour, count(*))::hera_metric_change
    from universal_transactions r,
         hera_transaction_metric_keys(r.organization_id, r.transaction_type, r.smart_code, r.transaction_status, r.metadata, r.created_at, r.updated_at) k
   group by k.org, k.key, k.hour));
select hera_bump_metrics(array(
  select (k.org, k.key, k.hour, count(*))::hera_metric_change
    from core_dynamic_data r, hera_task_metric_keys(r.organization_id, r.field_name, r.smart_code, r.field_value_json) k
   group by k.org, k.key, k.hour));

grant execute on function hera_metrics_entity(uuid), hera_metrics_hour(timestamptz), hera_instance_metric_key(jsonb, text),
  hera_task_metric_key(jsonb), hera_bump_metrics(hera_metric_change[]),
  hera_transaction_metric_keys(uuid, text, text, text, jsonb, timestamptz, timestamptz), hera_task_metric_keys(uuid, text, text, jsonb) to hera_app;

-- The counters of an organization, and the hours of the last days, read by index.
create index idx_wf_metric_counts on core_dynamic_data (organization_id, field_name)
  include (field_value_number, field_value_json)
  where smart_code = 'HERA.UNIV.WF.METRIC.COUNT.v1';
create index idx_wf_metric_hours on core_dynamic_data (organization_id, field_value_date)
  include (field_value_number, field_value_json)
  where smart_code = 'HERA.UNIV.WF.METRIC.HOURLY.v1';

-- The counters as the read side sees them; the lifecycle counts are read from them instead of by a count over
-- every instance row (wf_metrics_view, dropped).
create view wf_metric_counts_view with (security_invoker = true) as
select organization_id, field_value_json as key, field_value_number::bigint as count
  from core_dynamic_data
 where smart_code = 'HERA.UNIV.WF.METRIC.COUNT.v1';
create view wf_metric_hours_view with (security_invoker = true) as
select organization_id, field_value_json->>0 as kind, field_value_date as hour, field_value_number::bigint as count
  from core_dynamic_data
 where smart_code = 'HERA.UNIV.WF.METRIC.HOURLY.v1';
grant select on wf_metric_counts_view, wf_metric_hours_view to hera_app;
drop view wf_metrics_view;

-- At risk (due within a day, not yet breached, running, not paused): the whole hours from the ["due"] counters,
-- the two partial hours at the window's ends over this index's range.
create index idx_wf_instances_at_risk on universal_transactions (organization_id, wf_meta_time(metadata, 'sla_at'))
  where transaction_type = 'WF_INSTANCE' and smart_code = 'HERA.UNIV.WF.INSTANCE.HEADER.v1' and transaction_status = 'active'
    and not wf_meta_bool(metadata, 'paused') and coalesce(wf_meta_int(metadata, 'sla_escalation_level'), 0) = 0;

-- The latest transitions, for the time spent in each state; a transition's line names its definition (lines
-- written before, by their instance).
create index idx_wf_steps_recent on universal_transaction_lines (organization_id, created_at desc)
  where smart_code = 'HERA.UNIV.WF.STEP.LINE.v1';
create or replace view wf_steps_view with (security_invoker = true) as
select l.transaction_id                                  as instance_id,
       l.id                                              as step_id,
       l.organization_id,
       l.line_number,
       l.line_data->>'from'                              as from_state,
       l.line_data->>'to'                                as to_state,
       l.line_data->>'by'                                as actor_role,
       (l.line_data->>'actor_user_id')::uuid             as actor_user_id,
       (l.line_data->>'duration_ms')::bigint             as duration_ms,
       l.line_data->>'note'                              as note,
       coalesce(l.line_data->'effects_failed', '[]')     as effects_failed,
       coalesce(l.line_data->'guards_executed', '[]')    as guards_executed,
       coalesce(l.line_data->'effects_queued', '[]')     as effects_queued,
       l.line_data->'payload'                            as payload,
       l.line_data->>'idem_key'                          as idem_key,
       l.line_data->>'request_hash'                      as request_hash,
       l.line_data->'response'                           as response,
       l.line_data->>'correlation_id'                    as correlation_id,
       l.created_at,
       l.line_data->>'definition_code'                   as definition_code
  from universal_transaction_lines l
 where l.smart_code = 'HERA.UNIV.WF.STEP.LINE.v1';
