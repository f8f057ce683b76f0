-- Bulk jobs: a job is a WF_BULK_JOB transaction (its request, status and counts in metadata), each instance it
-- selected one of its lines (line_number = its place in the frozen selection, line_data its outcome).

create view wf_bulk_jobs_view with (security_invoker = true) as
select j.id                                              as job_id,
       j.organization_id,
       j.metadata->>'operation'                          as operation,
       j.transaction_status                              as status,
       j.metadata->'params'                              as params,
       j.metadata->'selection'                           as selection,
       j.metadata->>'reason'                             as reason,
       (j.metadata->>'max_instances')::int               as max_instances,
       (j.metadata->>'matched')::int                     as matched,
       coalesce((j.metadata->>'done')::int, 0)           as done,
       coalesce(j.metadata->'skipped', '{}'::jsonb)      as skipped,
       coalesce(j.metadata->'failed', '{}'::jsonb)       as failed,
       j.metadata->'snapshot'                            as snapshot,
       j.metadata->>'request_hash'                       as request_hash,
       j.metadata->>'workflow_id'                        as workflow_id,
       (j.metadata->>'retry_of')::uuid                   as retry_of,
       j.created_by,
       j.created_at,
       wf_meta_time(j.metadata, 'started_at')            as started_at,
       wf_meta_time(j.metadata, 'finished_at')           as finished_at,
       j.updated_at
  from universal_transactions j
 where j.transaction_type = 'WF_BULK_JOB' and j.smart_code = 'HERA.UNIV.WF.BULK.JOB.v1';

create view wf_bulk_items_view with (security_invoker = true) as
select l.id                                              as item_id,
       l.organization_id,
       l.transaction_id                                  as job_id,
       l.line_number,
       wf_meta_uuid(l.line_data, 'instance_id')          as instance_id,
       wf_meta_text(l.line_data, 'outcome')              as outcome,
       l.line_data->>'code'                              as code,
       l.line_data->>'message'                           as message,
       wf_meta_time(l.line_data, 'at')                   as at
  from universal_transaction_lines l
 where l.line_type = 'BULK_ITEM' and l.smart_code = 'HERA.UNIV.WF.BULK.ITEM.v1';

grant select on wf_bulk_jobs_view, wf_bulk_items_view to hera_app;

-- A job's items in line order (id: the keyset's tiebreaker), all or by outcome: the next pending batch, the items
-- list, another job's failed items.
create index idx_wf_bulk_items_outcome on universal_transaction_lines
  (transaction_id, wf_meta_text(line_data, 'outcome'), line_number, id)
  where line_type = 'BULK_ITEM';
create index idx_wf_bulk_items_line on universal_transaction_lines (transaction_id, line_number, id)
  where line_type = 'BULK_ITEM';
-- An organization's unfinished jobs in creation order: the queue.
create index idx_wf_bulk_jobs_queue on universal_transactions (organization_id, created_at, id)
  where transaction_type = 'WF_BULK_JOB' and transaction_status in ('queued', 'running');

-- Audit events name the bulk job that sent the command.
create or replace view wf_audit_view with (security_invoker = true) as
select a.id                                      as event_id,
       a.organization_id,
       a.metadata->>'procedure_code'             as procedure_code,
       a.transaction_status                      as outcome,
       a.metadata->>'error_code'                 as error_code,
       (a.metadata->>'actor_user_id')::uuid      as actor_user_id,
       a.metadata->>'actor'                      as actor,
       (a.metadata->>'instance_id')::uuid        as instance_id,
       a.metadata->>'reason'                     as reason,
       a.metadata->>'correlation_id'             as correlation_id,
       a.metadata->>'source'                     as source,
       a.created_at,
       wf_meta_uuid(a.metadata, 'bulk_job_id')   as bulk_job_id
  from universal_transactions a
 where a.transaction_type = 'WF_AUDIT' and a.smart_code = 'HERA.UNIV.WF.AUDIT.EVENT.v1';

create index idx_wf_audit_bulk_job on universal_transactions
  (organization_id, wf_meta_uuid(metadata, 'bulk_job_id'), created_at desc, id desc)
  where transaction_type = 'WF_AUDIT';

-- What the planner knows of the accessors' values. An expression of a partial index gets no statistics the planner
-- uses, so it guessed 0.5 % of the rows for `wf_meta_text(…) = …` and, once the table held other organizations'
-- rows (a bulk job's audit events and items), chose a bitmap scan and a sort over reading the index in order.
create statistics wf_stats_current_state on (wf_meta_text(metadata, 'current_state')) from universal_transactions;
create statistics wf_stats_definition_code on (wf_meta_text(metadata, 'definition_code')) from universal_transactions;
create statistics wf_stats_owner_team on (wf_meta_text(metadata, 'owner_team')) from universal_transactions;
create statistics wf_stats_owner_user on (wf_meta_uuid(metadata, 'owner_user_id')) from universal_transactions;
create statistics wf_stats_item_outcome on (wf_meta_text(line_data, 'outcome')) from universal_transaction_lines;
