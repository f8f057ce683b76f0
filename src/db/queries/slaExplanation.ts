import type { Sql } from '../pool';

/** What an instance's header says about its SLA (times as the driver gives them). */
export interface InstanceSla {
  instance_id: string;
  created_at: Date;
  sla_at: Date | null;
  sla_duration_ms: number | null;
  sla_calendar: string | null;
  sla_calendar_version: number | null;
  /** On a calendar: the warning tiers' moments (ISO instants). */
  sla_warnings_at: string[] | null;
  sla_warning_level: number;
  sla_escalation_level: number;
  paused: boolean;
  paused_at: Date | null;
}

/** A step note about the SLA (PAUSE, RESUME, SLA_RECALC, SLA_WARNING, SLA_ESCALATION) with its details. */
export interface SlaNote {
  line_number: number;
  note: 'PAUSE' | 'RESUME' | 'SLA_RECALC' | 'SLA_WARNING' | 'SLA_ESCALATION';
  created_at: Date;
  pause_duration_seconds: number | null;
  pause_working_seconds: number | null;
  previous_sla: Date | null;
  new_sla: Date | null;
  sla_hours: number | null;
  calendar_version: number | null;
  warning_level: number | null;
  escalation_level: number | null;
}

export async function findInstanceSla(sql: Sql, org: string, instanceId: string): Promise<InstanceSla | undefined> {
  const { rows } = await sql.query<InstanceSla>(
    `select instance_id, created_at, sla_at, sla_duration_ms, sla_calendar, sla_calendar_version, sla_warnings_at, sla_warning_level,
            sla_escalation_level, paused, paused_at
       from wf_instances_view where organization_id = $1 and instance_id = $2`,
    [org, instanceId],
  );
  return rows[0];
}

/** The instance's SLA notes in line order. */
export async function listSlaNotes(sql: Sql, org: string, instanceId: string): Promise<SlaNote[]> {
  const { rows } = await sql.query<SlaNote>(
    `select line_number, note, created_at, pause_duration_seconds, pause_working_seconds, previous_sla, new_sla, sla_hours, calendar_version,
            warning_level, escalation_level
       from wf_sla_notes_view where organization_id = $1 and instance_id = $2 order by line_number`,
    [org, instanceId],
  );
  return rows;
}
