import type pg from 'pg';
import type { Sql } from '../pool';
import { platformOrganizationId, smartCodes, transactionTypes } from './codes';
import { keysetPage, type KeysetPosition } from './keyset';

/** The organizations a sweep visits (all tenants, or those of `filter`), through a definer function: RLS hides them. */
export async function sweepOrganizations(pool: pg.Pool, filter: string[] | null): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>('select id from hera_sweep_organizations($1::uuid[]) as id', [filter]);
  return rows.map((r) => r.id);
}

/** An instance's unpaused running exists: the sweep never touches paused or finished instances' timers or tasks. */
const instanceRunning = (view: string) =>
  `exists (select 1 from wf_instances_view i where i.instance_id = ${view}.instance_id and i.status = 'active' and not i.paused)`;

export interface SlaCandidate extends Record<string, unknown> {
  instance_id: string;
  definition_code: string;
  sla_at: string;
  sla_duration_ms: number | null;
  sla_warning_level: number;
  sla_escalation_level: number;
  /** On a business calendar: the warning tiers' moments. */
  sla_warnings_at: string[] | null;
}

/** Active, unpaused instances whose next SLA level is due by `asOf`, by that moment. */
export function slaCandidates(sql: Sql, org: string, asOf: string, limit: number, after: KeysetPosition | null) {
  return keysetPage<SlaCandidate>(sql, {
    view: 'wf_instances_view',
    columns: `instance_id, definition_code, to_char(sla_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as sla_at,
              sla_duration_ms, sla_warning_level, sla_escalation_level, sla_warnings_at`,
    idColumn: 'instance_id',
    sortColumn: 'sla_check_at',
    sortType: 'timestamptz',
    direction: 'asc',
    organizationId: org,
    filters: [[`status = 'active' and not paused and sla_check_at <= ?::timestamptz`, asOf]],
    limit,
    after,
  });
}

export interface LateTimer extends Record<string, unknown> {
  timer_id: string;
  instance_id: string;
}

/** PENDING timers due before `dueBefore` on running instances, earliest first. */
export function lateTimers(sql: Sql, org: string, dueBefore: string, limit: number, after: KeysetPosition | null) {
  return keysetPage<LateTimer>(sql, {
    view: 'wf_timers_view',
    columns: 'timer_id, instance_id',
    idColumn: 'timer_id',
    sortColumn: 'fire_at',
    sortType: 'timestamptz',
    direction: 'asc',
    organizationId: org,
    filters: [[`timer_status = 'PENDING' and fire_at < ?::timestamptz and ${instanceRunning('wf_timers_view')}`, dueBefore]],
    limit,
    after,
  });
}

export interface OverdueTask extends Record<string, unknown> {
  task_id: string;
  instance_id: string;
  due_at: string;
  overdue_level: number;
}

/** Open tasks of running instances whose next overdue level is due by `asOf`. */
export function overdueTasks(sql: Sql, org: string, asOf: string, limit: number, after: KeysetPosition | null) {
  return keysetPage<OverdueTask>(sql, {
    view: 'wf_tasks_view',
    columns: `task_id, instance_id, to_char(due_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as due_at, overdue_level`,
    idColumn: 'task_id',
    sortColumn: 'overdue_check_at',
    sortType: 'timestamptz',
    direction: 'asc',
    organizationId: org,
    filters: [[`task_state <> 'COMPLETED' and task_state <> 'CANCELLED' and overdue_check_at <= ?::timestamptz and ${instanceRunning('wf_tasks_view')}`, asOf]],
    limit,
    after,
  });
}

export interface SchedulerRunRecord {
  run_id: string;
  trigger: string;
  as_of: string;
  organization_filter: string[] | null;
  counts: Record<string, unknown>;
  run_duration_ms: number;
  started_at: string;
  status: 'COMPLETED' | 'COMPLETED_WITH_ERRORS';
}

/** A sweep run's record in the platform organization; its id makes a retried write a no-op. Answers whether it was new. */
export async function insertSchedulerRun(sql: Sql, run: SchedulerRunRecord, actor: string): Promise<boolean> {
  const { rowCount } = await sql.query(
    `insert into universal_transactions (id, organization_id, transaction_type, smart_code, transaction_status, metadata, created_by, updated_by)
     values ($1, $2, $3, $4, $5, $6, $7, $7)
     on conflict (id) do nothing`,
    [run.run_id, platformOrganizationId, transactionTypes.schedulerRun, smartCodes.schedulerRun, run.status, run, actor],
  );
  return rowCount === 1;
}

/** When the schedule's last run was recorded (on-demand runs sweep one organization and do not count); null before the first. */
export async function lastScheduledRunAt(sql: Sql): Promise<Date | null> {
  const { rows } = await sql.query<{ created_at: Date }>(
    `select created_at from wf_scheduler_runs_view where organization_id = $1 and trigger = 'schedule' order by created_at desc limit 1`,
    [platformOrganizationId],
  );
  return rows[0]?.created_at ?? null;
}
