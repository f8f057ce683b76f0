import type { Sql } from '../../src/db/pool';

/**
 * The metrics' counted numbers by a plain count over every row (the views), as the reference the counters are
 * checked against (test/metrics.test.ts) and timed against (bench/metrics.ts). Same definitions as the counters:
 * overdue = the SLA's breach recorded, running, not paused; an overdue task = open with its first overdue level
 * recorded; hours in UTC.
 */
export async function recountWorkflowMetrics(sql: Sql, org: string, nowMs: number) {
  const instances = await sql.query(
    `select definition_code, current_state, status, count(*)::int as count, (count(*) filter (where paused))::int as paused,
            (count(*) filter (where status = 'active' and not paused and sla_escalation_level >= 1))::int as overdue
       from wf_instances_view where organization_id = $1 group by 1, 2, 3
      order by definition_code collate "C", current_state collate "C", status collate "C"`,
    [org],
  );
  const totals = await sql.query(
    `select (count(*) filter (where status = 'active'))::int as active_instances,
            (count(*) filter (where status = 'completed'))::int as completed_instances,
            (count(*) filter (where status = 'cancelled'))::int as cancelled_instances,
            (count(*) filter (where status = 'failed'))::int as failed_instances,
            (count(*) filter (where status = 'active' and paused))::int as paused_instances,
            (count(*) filter (where status = 'active' and not paused and sla_escalation_level >= 1))::int as overdue_instances,
            (count(*) filter (where status = 'active' and not paused and sla_escalation_level = 0 and sla_at >= $2 and sla_at < $3))::int as at_risk_instances
       from wf_instances_view where organization_id = $1`,
    [org, new Date(nowMs), new Date(nowMs + 86_400_000)],
  );
  const tasks = await sql.query(
    `select assignee_role, priority, count(*)::int as count from wf_tasks_view
      where organization_id = $1 and task_state in ('OPEN', 'CLAIMED') group by 1, 2
      order by assignee_role collate "C" nulls first, priority collate "C"`,
    [org],
  );
  const tasksOverdue = await sql.query(
    `select count(*)::int as n from wf_tasks_view where organization_id = $1 and task_state in ('OPEN', 'CLAIMED') and overdue_level >= 1`,
    [org],
  );
  const effects = await sql.query(`select count(*)::int as n from wf_effects_view where organization_id = $1 and effect_status = 'PERMANENTLY_FAILED'`, [org]);
  const since = new Date(Math.floor(nowMs / 3_600_000) * 3_600_000 - 47 * 3_600_000);
  const hours = await sql.query(
    `select hour, sum(started)::int as started, sum(completed)::int as completed from (
       select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24') as hour, 1 as started, 0 as completed
         from wf_instances_view where organization_id = $1 and created_at >= $2
       union all
       select to_char(updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24'), 0, 1
         from wf_instances_view where organization_id = $1 and status = 'completed' and updated_at >= $2) h
      group by 1 order by 1`,
    [org, since],
  );
  return {
    ...totals.rows[0],
    instances: instances.rows,
    tasks_open: tasks.rows,
    tasks_overdue: tasksOverdue.rows[0].n,
    effects_failed: effects.rows[0].n,
    /** Hours with a start or a completion, as `YYYY-MM-DDTHH` (UTC). */
    throughput: hours.rows,
  };
}
