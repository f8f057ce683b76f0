-- Per-organization metrics (lifecycle counts from transaction_status) and the notification outbox.
create view wf_metrics_view with (security_invoker = true) as
select organization_id,
       count(*) filter (where status = 'active')                                      as active_instances,
       count(*) filter (where status = 'completed')                                   as completed_instances,
       count(*) filter (where status = 'failed')                                      as failed_instances,
       count(*) filter (where status = 'active' and paused)                           as paused_instances,
       count(*) filter (where status = 'active' and not paused and sla_at < now())    as overdue_instances,
       max(created_at)                                                                as last_instance_created
  from wf_instances_view
 group by organization_id;

create view wf_notifications_view with (security_invoker = true) as
select n.id                                  as notification_id,
       n.organization_id,
       (n.metadata->>'instance_id')::uuid    as instance_id,
       n.metadata->>'template'               as template,
       n.metadata->'recipient'               as recipient,
       n.metadata->'payload'                 as payload,
       n.transaction_status                  as status,
       n.business_context->>'idem_key'       as idempotency_key,
       n.created_at
  from universal_transactions n
 where n.transaction_type = 'WF_NOTIFICATION' and n.smart_code = 'HERA.UNIV.WF.NOTIFICATION.HEADER.v1';

grant select on wf_metrics_view, wf_notifications_view to hera_app;
