-- The step notes that explain an instance's deadline, each with the details its note recorded: a pause and its
-- end (how long it took, in working time too on a calendar, and the deadline before and after), a recalculation
-- (the deadline before and after, the SLA hours, the calendar version it pinned) and the SLA levels a check reached.
create view wf_sla_notes_view with (security_invoker = true) as
select l.transaction_id                                   as instance_id,
       l.organization_id,
       l.line_number,
       l.line_data->>'note'                               as note,
       l.created_at,
       (l.line_data->>'pause_duration_seconds')::float8   as pause_duration_seconds,
       (l.line_data->>'pause_working_seconds')::float8    as pause_working_seconds,
       wf_meta_time(l.line_data, 'previous_sla')          as previous_sla,
       wf_meta_time(l.line_data, 'new_sla')               as new_sla,
       (l.line_data->>'sla_hours')::float8                as sla_hours,
       wf_meta_int(l.line_data, 'calendar_version')       as calendar_version,
       wf_meta_int(l.line_data, 'warning_level')          as warning_level,
       wf_meta_int(l.line_data, 'escalation_level')       as escalation_level
  from universal_transaction_lines l
 where l.smart_code = 'HERA.UNIV.WF.STEP.LINE.v1'
   and wf_meta_text(l.line_data, 'note') in ('PAUSE', 'RESUME', 'SLA_RECALC', 'SLA_WARNING', 'SLA_ESCALATION');

grant select on wf_sla_notes_view to hera_app;
