-- Audit events (WF_AUDIT transactions): every admin call, success or refusal, from the API or the Temporal UI.
create view wf_audit_view with (security_invoker = true) as
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
       a.created_at
  from universal_transactions a
 where a.transaction_type = 'WF_AUDIT' and a.smart_code = 'HERA.UNIV.WF.AUDIT.EVENT.v1';

grant select on wf_audit_view to hera_app;
