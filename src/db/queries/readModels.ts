import type { Sql } from '../pool';
import { keysetPage, type KeysetPosition } from './keyset';

const instanceColumns = `instance_id, definition_code, definition_version, current_state, subject_ref, context, sla_at, paused,
  paused_at, pause_reason, paused_by, owner_team, owner_user_id, status, sla_warning_level, sla_escalation_level,
  sla_escalated_at, correlation_id, created_at, updated_at, sla_calendar, sla_calendar_version`;
const stepColumns = `step_id, line_number, from_state, to_state, actor_role, actor_user_id, duration_ms, note, effects_failed,
  guards_executed, effects_queued, payload, correlation_id, created_at`;
const taskColumns = `task_id, instance_id, title, task_state, assignee_user_id, assignee_role, due_at, sla_at, priority, outcome,
  completed_at, completed_by, escalation_count, created_at, updated_at, calendar, calendar_version`;
const timerColumns = 'timer_id, timer_name, fire_at, on_fire, timer_status, fired_at, source, created_at';
const effectColumns = 'effect_id, step_id, effect_smart_code, effect_status, attempt_count, last_error, next_retry_at, completed_at, created_at';

export async function getInstance(sql: Sql, org: string, instanceId: string) {
  const { rows } = await sql.query(`select ${instanceColumns} from wf_instances_view where organization_id = $1 and instance_id = $2`, [org, instanceId]);
  return rows[0] as Record<string, unknown> | undefined;
}

/** One client runs one query at a time (pg queues concurrent ones and pg 9 refuses them): read in sequence. */
export async function instanceChildren(sql: Sql, org: string, instanceId: string, stepsLimit: number) {
  const read = async (text: string, values: unknown[]) => (await sql.query(text, values)).rows;
  const steps = await read(`select ${stepColumns} from wf_steps_view where organization_id = $1 and instance_id = $2 order by line_number limit $3`, [org, instanceId, stepsLimit]);
  const tasks = await read(`select ${taskColumns} from wf_tasks_view where organization_id = $1 and instance_id = $2 order by created_at, task_id`, [org, instanceId]);
  const timers = await read(`select ${timerColumns} from wf_timers_view where organization_id = $1 and instance_id = $2 order by created_at, fire_at`, [org, instanceId]);
  const effects = await read(`select ${effectColumns} from wf_effects_view where organization_id = $1 and instance_id = $2 order by created_at, effect_id`, [org, instanceId]);
  return { steps, tasks, timers, effects };
}

export function listSteps(sql: Sql, org: string, instanceId: string, limit: number, after: KeysetPosition | null) {
  return keysetPage(sql, {
    view: 'wf_steps_view',
    columns: stepColumns,
    idColumn: 'step_id',
    sortColumn: 'line_number',
    sortType: 'int',
    direction: 'asc',
    organizationId: org,
    filters: [['instance_id = ?::uuid', instanceId]],
    limit,
    after,
  });
}

export const taskSorts = ['created_at', 'due_at', 'completed_at'] as const;

export interface TaskFilter {
  instanceId?: string;
  taskState?: string;
  assigneeRole?: string;
  assigneeUserId?: string;
  priority?: string;
  overdueAt?: string;
  createdAfter?: string;
  createdBefore?: string;
  completedAfter?: string;
  completedBefore?: string;
}

export function listTasks(
  sql: Sql,
  org: string,
  filter: TaskFilter,
  sort: { by: (typeof taskSorts)[number]; order: 'asc' | 'desc' },
  limit: number,
  after: KeysetPosition | null,
) {
  const filters: Array<[string, unknown]> = [];
  if (filter.instanceId !== undefined) filters.push(['instance_id = ?::uuid', filter.instanceId]);
  if (filter.taskState !== undefined) filters.push(['task_state = ?', filter.taskState]);
  if (filter.assigneeRole !== undefined) filters.push(['assignee_role = ?', filter.assigneeRole]);
  if (filter.assigneeUserId !== undefined) filters.push(['assignee_user_id = ?::uuid', filter.assigneeUserId]);
  if (filter.priority !== undefined) filters.push(['priority = ?', filter.priority]);
  if (filter.overdueAt !== undefined) filters.push([`task_state <> 'COMPLETED' and task_state <> 'CANCELLED' and due_at < ?::timestamptz`, filter.overdueAt]);
  if (filter.createdAfter !== undefined) filters.push(['created_at >= ?::timestamptz', filter.createdAfter]);
  if (filter.createdBefore !== undefined) filters.push(['created_at < ?::timestamptz', filter.createdBefore]);
  if (filter.completedAfter !== undefined) filters.push(['completed_at >= ?::timestamptz', filter.completedAfter]);
  if (filter.completedBefore !== undefined) filters.push(['completed_at < ?::timestamptz', filter.completedBefore]);
  return keysetPage(sql, {
    view: 'wf_tasks_view',
    columns: taskColumns,
    idColumn: 'task_id',
    sortColumn: sort.by,
    sortType: 'timestamptz',
    direction: sort.order,
    organizationId: org,
    filters,
    limit,
    after,
  });
}

export async function getTask(sql: Sql, org: string, taskId: string) {
  const { rows } = await sql.query(`select ${taskColumns}, task from wf_tasks_view where organization_id = $1 and task_id = $2`, [org, taskId]);
  return rows[0] as Record<string, unknown> | undefined;
}

/** When each of these instances was paused, for those paused now. */
export async function pausedSince(sql: Sql, org: string, instanceIds: string[]): Promise<Map<string, Date>> {
  const { rows } = await sql.query<{ instance_id: string; paused_at: Date }>(
    'select instance_id, paused_at from wf_instances_view where organization_id = $1 and instance_id = any($2::uuid[]) and paused and paused_at is not null',
    [org, instanceIds],
  );
  return new Map(rows.map((r) => [r.instance_id, r.paused_at]));
}

export interface NotificationFilter {
  instanceId?: string;
  template?: string;
  status?: string;
}

/** The organization's outbox, newest first, one keyset page. */
export function listNotifications(sql: Sql, org: string, filter: NotificationFilter, limit: number, after: KeysetPosition | null) {
  const filters: Array<[string, unknown]> = [];
  if (filter.instanceId !== undefined) filters.push(['instance_id = ?::uuid', filter.instanceId]);
  if (filter.template !== undefined) filters.push(['template = ?', filter.template]);
  if (filter.status !== undefined) filters.push(['status = ?', filter.status]);
  return keysetPage(sql, {
    view: 'wf_notifications_view',
    columns: 'notification_id, instance_id, template, recipient, payload, status, idempotency_key, created_at',
    idColumn: 'notification_id',
    sortColumn: 'created_at',
    sortType: 'timestamptz',
    direction: 'desc',
    organizationId: org,
    filters,
    limit,
    after,
  });
}
