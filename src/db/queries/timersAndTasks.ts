import type { TaskRecord } from '../../domain/task';
import type { TimerRecord } from '../../domain/timer';
import type { Sql } from '../pool';
import { smartCodes, transactionTypes } from './codes';

export async function insertTimers(sql: Sql, org: string, timers: TimerRecord[], at: string, actor: string): Promise<void> {
  for (const timer of timers) {
    await sql.query(
      `insert into universal_transactions (id, organization_id, transaction_type, transaction_code, smart_code, transaction_status,
                                           metadata, created_at, updated_at, created_by, updated_by)
       values ($1, $2, $3, $4, $5, 'PENDING', $6, $7, $7, $8, $8)
       on conflict (id) do nothing`,
      [
        timer.timer_id,
        org,
        transactionTypes.timer,
        `WFT:${org}:${timer.instance_id}:${timer.name}:${Date.parse(timer.fire_at)}`,
        smartCodes.timer,
        timer,
        at,
        actor,
      ],
    );
  }
}

/**
 * Moves a timer to `to` only if it is in one of `from`: the guarded transition (PENDING → FIRING before its
 * action runs) that makes a timer fire at most once whoever asks. Answers whether this call moved it.
 */
export async function moveTimer(
  sql: Sql,
  org: string,
  timerId: string,
  from: TimerRecord['status'] | Array<TimerRecord['status']>,
  to: TimerRecord['status'],
  patch: Record<string, unknown>,
  actor: string,
): Promise<boolean> {
  const { rowCount } = await sql.query(
    `update universal_transactions
        set transaction_status = $4, metadata = metadata || $5::jsonb || jsonb_build_object('status', $4::text),
            updated_at = now(), updated_by = $6
      where organization_id = $1 and id = $2 and transaction_type = 'WF_TIMER' and transaction_status = any($3::text[])`,
    [org, timerId, Array.isArray(from) ? from : [from], to, patch, actor],
  );
  return rowCount === 1;
}

export async function insertTask(sql: Sql, org: string, task: TaskRecord, actor: string): Promise<void> {
  const { rowCount } = await sql.query(
    `insert into core_entities (id, organization_id, entity_type, entity_code, entity_name, smart_code, created_at, updated_at, created_by, updated_by)
     values ($1::uuid, $2, 'WF_TASK', $1::uuid::text, $3, $4, $5, $5, $6, $6)
     on conflict (id) do nothing`,
    [task.task_id, org, task.title, smartCodes.task, task.created_at, actor],
  );
  if (!rowCount) return;
  await sql.query(
    `insert into core_dynamic_data (organization_id, entity_id, field_name, field_type, field_value_json, smart_code, created_at, updated_at, created_by, updated_by)
     values ($1, $2, 'task', 'json', $3, $4, $5, $5, $6, $6)
     on conflict (organization_id, entity_id, field_name) do nothing`,
    [org, task.task_id, task, smartCodes.taskData, task.created_at, actor],
  );
}

/** Stores the task's whole JSON; the instance workflow is its only writer, so there is no lost update. */
export async function saveTask(sql: Sql, org: string, task: TaskRecord, actor: string): Promise<void> {
  await sql.query(
    `update core_dynamic_data set field_value_json = $3, updated_at = now(), updated_by = $4
      where organization_id = $1 and entity_id = $2 and field_name = 'task'`,
    [org, task.task_id, task, actor],
  );
  await sql.query(
    `update core_entities set status = $3, updated_at = now(), updated_by = $4 where organization_id = $1 and id = $2`,
    [org, task.task_id, task.state === 'COMPLETED' ? 'completed' : task.state === 'CANCELLED' ? 'cancelled' : 'active', actor],
  );
}

/** The instance a task belongs to, if the organization has the task. */
export async function taskInstance(sql: Sql, org: string, taskId: string): Promise<string | undefined> {
  const { rows } = await sql.query<{ instance_id: string }>(
    'select instance_id from wf_tasks_view where organization_id = $1 and task_id = $2',
    [org, taskId],
  );
  return rows[0]?.instance_id;
}

/** The instance a timer belongs to, if the organization has the timer. */
export async function timerInstance(sql: Sql, org: string, timerId: string): Promise<string | undefined> {
  const { rows } = await sql.query<{ instance_id: string }>(
    'select instance_id from wf_timers_view where organization_id = $1 and timer_id = $2',
    [org, timerId],
  );
  return rows[0]?.instance_id;
}

/** A PENDING timer's new deadline after a pause (its remaining time counted from the resume). */
export async function rewriteTimerFireAt(sql: Sql, org: string, timerId: string, fireAt: string, actor: string): Promise<void> {
  await sql.query(
    `update universal_transactions set metadata = metadata || jsonb_build_object('fire_at', $3::text), updated_at = now(), updated_by = $4
      where organization_id = $1 and id = $2 and transaction_type = 'WF_TIMER' and transaction_status = 'PENDING'`,
    [org, timerId, fireAt, actor],
  );
}
