-- Step lines and effect records as read models, and the advance idempotency key: one step per key per org.
create unique index idx_wf_advance_idempotency on universal_transaction_lines (organization_id, (line_data->>'idem_key'))
  where smart_code = 'HERA.UNIV.WF.STEP.LINE.v1' and line_data ? 'idem_key';
create index idx_ut_org_type_metadata_instance on universal_transactions (organization_id, transaction_type, ((metadata->>'instance_id')))
  where transaction_type in ('WF_EFFECT', 'WF_NOTIFICATION');

create view wf_steps_view with (security_invoker = true) as
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
       l.created_at
  from universal_transaction_lines l
 where l.smart_code = 'HERA.UNIV.WF.STEP.LINE.v1';

create view wf_effects_view with (security_invoker = true) as
select e.id                                              as effect_id,
       e.organization_id,
       (e.metadata->>'instance_id')::uuid                as instance_id,
       (e.metadata->>'step_id')::uuid                    as step_id,
       e.metadata->>'effect_smart_code'                  as effect_smart_code,
       e.transaction_status                              as effect_status,
       coalesce((e.metadata->>'attempt_count')::int, 0)  as attempt_count,
       e.metadata->>'last_error'                         as last_error,
       (e.metadata->>'next_retry_at')::timestamptz       as next_retry_at,
       (e.metadata->>'completed_at')::timestamptz        as completed_at,
       e.metadata->>'idempotency_key'                    as idempotency_key,
       e.created_at,
       e.updated_at
  from universal_transactions e
 where e.transaction_type = 'WF_EFFECT' and e.smart_code = 'HERA.UNIV.WF.EFFECT.HEADER.v1';

grant select on wf_steps_view, wf_effects_view to hera_app;
