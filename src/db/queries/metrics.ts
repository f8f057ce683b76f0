import type { Sql } from '../pool';

/**
 * The organization's operational numbers, from counters the database keeps (sql/020_metrics_counters.sql) and a few
 * index ranges, so a read costs the same at 1,000 or 1,000,000 instances. Sweep runs are platform records: they are
 * read in the platform organization (`sweepRunStats`).
 */

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;
/** Transitions read for the time spent in each state: the newest of the last week, at most this many. */
const timeInStateSample = 2_000;
const timeInStateWindowMs = 7 * dayMs;

export interface InstanceCount {
  definition_code: string;
  current_state: string;
  status: string;
  count: number;
  paused: number;
  overdue: number;
}

export interface WorkflowMetrics {
  as_of: string;
  active_instances: number;
  completed_instances: number;
  cancelled_instances: number;
  failed_instances: number;
  paused_instances: number;
  overdue_instances: number;
  at_risk_instances: number;
  last_instance_created: string | null;
  instances: InstanceCount[];
  tasks_open: Array<{ assignee_role: string | null; priority: string; count: number }>;
  tasks_open_total: number;
  tasks_overdue: number;
  effects_failed: number;
  throughput: Array<{ hour: string; started: number; completed: number }>;
  time_in_state: Array<{ definition_code: string; state: string; median_seconds: number; p90_seconds: number; samples: number }>;
}

type CounterKey = ['i', string, string, string, boolean, boolean] | ['t', string | null, string, boolean] | ['effects_failed'];

/** The counts by key, folded into the answer's shape. */
function foldCounters(rows: Array<{ key: CounterKey; count: string | number }>) {
  const instances = new Map<string, InstanceCount>();
  const tasks = new Map<string, { assignee_role: string | null; priority: string; count: number }>();
  const totals = { active: 0, completed: 0, cancelled: 0, failed: 0, paused: 0, overdue: 0, tasksOverdue: 0, effectsFailed: 0 };
  for (const { key, count } of rows) {
    const n = Number(count);
    if (key[0] === 'i') {
      const [, definition_code, current_state, status, paused, breached] = key;
      const id = JSON.stringify([definition_code, current_state, status]);
      const row = instances.get(id) ?? { definition_code, current_state, status, count: 0, paused: 0, overdue: 0 };
      const overdue = status === 'active' && !paused && breached;
      Object.assign(row, { count: row.count + n, paused: row.paused + (paused ? n : 0), overdue: row.overdue + (overdue ? n : 0) });
      instances.set(id, row);
      if (status in totals) totals[status as 'active' | 'completed' | 'cancelled' | 'failed'] += n;
      if (status === 'active' && paused) totals.paused += n;
      if (overdue) totals.overdue += n;
    } else if (key[0] === 't') {
      const [, assignee_role, priority, overdue] = key;
      const id = JSON.stringify([assignee_role, priority]);
      const row = tasks.get(id) ?? { assignee_role, priority, count: 0 };
      row.count += n;
      tasks.set(id, row);
      if (overdue) totals.tasksOverdue += n;
    } else {
      totals.effectsFailed += n;
    }
  }
  // By code point, as PostgreSQL's "C" collation orders: the same order on every host.
  const byText = (a: string | null, b: string | null) => ((a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0);
  return {
    totals,
    instances: [...instances.values()]
      .filter((r) => r.count > 0)
      .sort((a, b) => byText(a.definition_code, b.definition_code) || byText(a.current_state, b.current_state) || byText(a.status, b.status)),
    tasks: [...tasks.values()].filter((r) => r.count > 0).sort((a, b) => byText(a.assignee_role, b.assignee_role) || byText(a.priority, b.priority)),
  };
}

/** The first of the 48 hours shown: the current hour and the 47 before it. */
const firstHour = (nowMs: number) => Math.floor(nowMs / hourMs) * hourMs - 47 * hourMs;

/** Started and completed per hour over those 48 hours, oldest first. */
function hourly(rows: Array<{ kind: string; hour: Date; count: string | number }>, nowMs: number) {
  const first = firstHour(nowMs);
  const buckets = Array.from({ length: 48 }, (_, i) => ({ hour: new Date(first + i * hourMs).toISOString(), started: 0, completed: 0 }));
  for (const row of rows) {
    const bucket = buckets[(row.hour.getTime() - first) / hourMs];
    if (bucket && (row.kind === 'started' || row.kind === 'completed')) bucket[row.kind] += Number(row.count);
  }
  return buckets;
}

/**
 * Running, unpaused, unbreached instances due within the next 24 h: the whole hours in between from the counters
 * by due hour, the partial hours at both ends counted over the at-risk index.
 */
async function atRiskCount(sql: Sql, org: string, nowMs: number): Promise<number> {
  const end = nowMs + dayMs;
  const [wholeFrom, wholeTo] = [Math.ceil(nowMs / hourMs) * hourMs, Math.floor(end / hourMs) * hourMs];
  const whole = await sql.query<{ n: number }>(
    `select coalesce(sum(count), 0)::int as n from wf_metric_hours_view where organization_id = $1 and kind = 'due' and hour >= $2 and hour < $3`,
    [org, new Date(wholeFrom), new Date(wholeTo)],
  );
  const edges = await sql.query<{ n: number }>(
    `select count(*)::int as n from wf_instances_view
      where organization_id = $1 and status = 'active' and not paused and sla_escalation_level = 0
        and ((sla_at >= $2 and sla_at < $3) or (sla_at >= $4 and sla_at < $5))`,
    [org, new Date(nowMs), new Date(wholeFrom), new Date(wholeTo), new Date(end)],
  );
  return whole.rows[0].n + edges.rows[0].n;
}

export type WorkflowCounts = Omit<WorkflowMetrics, 'throughput' | 'time_in_state'>;

/** The counts alone (what the Prometheus gauges show): the counters, at risk, the last start. */
export async function workflowCounts(sql: Sql, org: string, nowMs: number): Promise<WorkflowCounts> {
  // One client runs one query at a time: in sequence.
  const counters = await sql.query('select key, count from wf_metric_counts_view where organization_id = $1 and count <> 0', [org]);
  const atRisk = await atRiskCount(sql, org, nowMs);
  const last = await sql.query<{ at: Date | null }>('select max(created_at) as at from wf_instances_view where organization_id = $1', [org]);
  const { totals, instances, tasks } = foldCounters(counters.rows);
  return {
    as_of: new Date(nowMs).toISOString(),
    active_instances: totals.active,
    completed_instances: totals.completed,
    cancelled_instances: totals.cancelled,
    failed_instances: totals.failed,
    paused_instances: totals.paused,
    overdue_instances: totals.overdue,
    at_risk_instances: atRisk,
    last_instance_created: last.rows[0].at?.toISOString() ?? null,
    instances,
    tasks_open: tasks,
    tasks_open_total: tasks.reduce((sum, t) => sum + t.count, 0),
    tasks_overdue: totals.tasksOverdue,
    effects_failed: totals.effectsFailed,
  };
}

/** The counts, starts and completions per hour over 48 hours, and the time spent in each state. */
export async function workflowMetrics(sql: Sql, org: string, nowMs: number): Promise<WorkflowMetrics> {
  const counts = await workflowCounts(sql, org, nowMs);
  const hours = await sql.query(
    `select kind, hour, count from wf_metric_hours_view where organization_id = $1 and hour >= $2 and hour <= $3 and kind in ('started', 'completed')`,
    [org, new Date(firstHour(nowMs)), new Date(nowMs)],
  );
  const times = await sql.query(
    `select s.definition_code, s.from_state as state, count(*)::int as samples,
            round((percentile_cont(0.5) within group (order by s.duration_ms) / 1000)::numeric, 3)::float8 as median_seconds,
            round((percentile_cont(0.9) within group (order by s.duration_ms) / 1000)::numeric, 3)::float8 as p90_seconds
       from (select coalesce(definition_code, (select i.definition_code from wf_instances_view i where i.organization_id = $1 and i.instance_id = s.instance_id)) as definition_code,
                    from_state, duration_ms
               from wf_steps_view s
              where organization_id = $1 and created_at >= $2 and duration_ms is not null and from_state is not null
              order by created_at desc limit $3) s
      group by 1, 2 order by s.definition_code collate "C", s.from_state collate "C"`,
    [org, new Date(nowMs - timeInStateWindowMs), timeInStateSample],
  );
  return { ...counts, throughput: hourly(hours.rows, nowMs), time_in_state: times.rows };
}

export interface SweepRunStats {
  runs_24h: number;
  last_run_at: string | null;
  last_duration_ms: number | null;
  median_duration_ms: number | null;
  p90_duration_ms: number | null;
  recent: Array<{ started_at: string; duration_ms: number; status: string; trigger: string }>;
}

/** The sweep's runs (platform records, read in the platform organization): how many in the last 24 h, their durations, the newest. */
export async function sweepRunStats(sql: Sql, platformOrg: string, nowMs: number): Promise<SweepRunStats> {
  const since = new Date(nowMs - dayMs);
  const count = await sql.query<{ n: number }>('select count(*)::int as n from wf_scheduler_runs_view where organization_id = $1 and created_at >= $2', [platformOrg, since]);
  // The durations of the newest 500 of the last day: enough for a median and a 90th percentile.
  const { rows } = await sql.query<{ started_at: Date | null; created_at: Date; run_duration_ms: number; status: string; trigger: string }>(
    `select started_at, created_at, run_duration_ms, status, trigger from wf_scheduler_runs_view
      where organization_id = $1 order by created_at desc limit 500`,
    [platformOrg],
  );
  const durations = rows.filter((r) => r.created_at >= since).map((r) => r.run_duration_ms).sort((a, b) => a - b);
  const at = (q: number) => (durations.length ? durations[Math.min(durations.length - 1, Math.floor(q * durations.length))] : null);
  return {
    runs_24h: count.rows[0].n,
    last_run_at: rows[0]?.created_at.toISOString() ?? null,
    last_duration_ms: rows[0]?.run_duration_ms ?? null,
    median_duration_ms: at(0.5),
    p90_duration_ms: at(0.9),
    recent: rows.slice(0, 20).map((r) => ({ started_at: (r.started_at ?? r.created_at).toISOString(), duration_ms: r.run_duration_ms, status: r.status, trigger: r.trigger })),
  };
}
