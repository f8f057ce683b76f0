/**
 * N instances breaching at the same instant: seconds until every one is escalated, by the instances' own SLA timers
 * (on-time) and by one SLA sweep (sweep-only), on one system, measured the same way: the read model polled every
 * 250 ms for `sla_escalation_level >= 1` in the design's organization, timed from its trigger (the common deadline
 * T; the sweep's start), plus the spread of the SLA_ESCALATION step lines' times after it.
 *
 * Order: the sweep-only set is started first (48 h wall-clock SLA, so no timer of theirs fires during the run);
 * its start rate sizes the on-time set's calendar, whose working time is two UTC windows: [P, P+1 min) and
 * [Q, Q+1 min). With an SLA of 80 working seconds both warnings (50 %, 75 %) fall in the first window and the
 * breach at T = Q + 20 s, so each instance does at T what the sweep's Update does: one breach step. P lies past
 * the projected end of the on-time starts; Q past the projected end of the warnings. Both measurements then see
 * the same 2N live instances. Starts its own Temporal dev server and an in-process worker; no sweep schedule.
 *
 *   npm run bench:sla                                   # 10,000 instances per design
 *   BENCH_SLA_INSTANCES=500 npm run bench:sla
 *   BENCH_SLA_CACHE=0 npx tsx bench/onTimeSla.ts --instances 10000   # the SDK's default worker cache
 */
import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import { systemActorId } from '../src/db/queries/codes';
import { ensureOrganization } from '../src/db/queries/organizations';
import { windowCalendar } from './support/windowCalendar';
import { writeSummary } from './support/summary';
import { eachLimited, runBench, startBenchSystem } from './support/system';

const minuteMs = 60_000;
/** 80 working seconds: 60 in the first window (warnings at 40 s and 60 s), the breach 20 s into the second. */
const onTimeSlaMs = 80_000;
/** The on-time starts' projected time is stretched this much: they run with the other N instances live. */
const safety = 1.5;
const pollMs = 250;
const hourMs = 3_600_000;

const count = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a whole number, got ${v}`);
  return n;
};
const ceilMinute = (ms: number) => Math.ceil(ms / minuteMs) * minuteMs;
const iso = (ms: number) => new Date(ms).toISOString();
const seconds = (ms: number) => (ms / 1000).toFixed(1);
const sleepUntil = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms - Date.now())));

type Caller = { userId: string; organizationId: string; roles: string[] };

async function main(): Promise<void> {
  const { instances: n, json } = new Command()
    .option('--instances <n>', 'instances per design (env BENCH_SLA_INSTANCES)', count, Number(process.env.BENCH_SLA_INSTANCES ?? 10_000))
    .option('--json <file>', 'write the seconds until all escalated as JSON')
    .parse()
    .opts<{ instances: number; json?: string }>();
  const bench = await startBenchSystem('sla', {
    // Both sets stay cached, as in bench/bulk.ts (BENCH_SLA_CACHE=0: the SDK's default, to see what eviction costs).
    ...(process.env.BENCH_SLA_CACHE === '0' ? {} : { HERA_WORKER_CACHED_WORKFLOWS: String(2 * n + 100) }),
  });
  const { system } = bench;
  try {
    const caller = async (name: string): Promise<Caller> => ({
      userId: systemActorId,
      organizationId: (await ensureOrganization(system.services.db.pool, `sla-bench-${name}-${randomUUID()}`, `SLA bench ${name}`, systemActorId)).id,
      roles: ['admin', 'user'],
    });
    const [onTime, sweepOnly] = [await caller('on-time'), await caller('sweep-only')];
    const procedure = async (code: string, body: Record<string, unknown>, as: Caller, status: number) => {
      const res = await system.runProcedure(code, body, as);
      if (res.status !== status) throw new Error(`${code} answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body as Record<string, unknown>;
    };
    const define = (as: Caller, code: string, sla: Record<string, unknown>) =>
      procedure('HERA.UNIV.WF.DEFINITION.REGISTER.V1', { code, states: ['OPEN', 'DONE'], transitions: [{ from: 'OPEN', to: 'DONE', by: ['user'] }], ...sla }, as, 201);
    /** N starts through START, 16 at a time as the other benches start theirs; answers each deadline (ms). */
    const startAll = async (as: Caller, code: string) => {
      const began = Date.now();
      const slaAts: number[] = [];
      await eachLimited(Array.from({ length: n }, (_, i) => i), 16, async () => {
        slaAts.push(Date.parse(String((await procedure('HERA.UNIV.WF.START.V1', { definition_code: code }, as, 201)).sla_at)));
      });
      return { slaAts, ms: Date.now() - began };
    };

    await define(sweepOnly, 'SLA_BENCH_WALL', { sla_hours: 48 });
    const wall = await startAll(sweepOnly, 'SLA_BENCH_WALL');
    const msPerStart = wall.ms / n;
    console.log(`sweep-only set: started ${n} instances in ${seconds(wall.ms)} s (${(1000 / msPerStart).toFixed(1)}/s)`);

    // The warnings, one or two checks per instance (a check run past the second moment records both), are
    // projected at the start rate, which costs more per instance; the run says whether they were done in time.
    const p = ceilMinute(Date.now() + safety * n * msPerStart + 20_000);
    const q = ceilMinute(p + minuteMs + 2 * n * msPerStart + 30_000);
    const t = q + onTimeSlaMs - minuteMs;
    const rules = windowCalendar(Date.now(), [[p, p + minuteMs], [q, q + minuteMs]]);
    await procedure('HERA.UNIV.WF.CALENDAR.PUT.V1', { code: 'SLA_BENCH_WINDOWS', name: 'SLA bench windows', ...rules }, onTime, 201);
    await define(onTime, 'SLA_BENCH_CAL', { sla_hours: onTimeSlaMs / hourMs, sla_calendar: 'SLA_BENCH_WINDOWS' });
    console.log(`on-time calendar (UTC): working ${iso(p)} + 1 min (both warnings), ${iso(q)} + 1 min; exceptions ${JSON.stringify(rules.exceptions)}`);
    const cal = await startAll(onTime, 'SLA_BENCH_CAL');
    console.log(`on-time set: started ${n} instances in ${seconds(cal.ms)} s (${(n / (cal.ms / 1000)).toFixed(1)}/s), ${seconds(p - Date.now())} s before the first window`);
    const offTarget = cal.slaAts.filter((at) => at !== t).length;
    if (offTarget) throw new Error(`${offTarget} on-time instances are not due at ${iso(t)}: their starts ran past ${iso(p)}; raise the safety factor`);

    const db = system.services.db;
    const counted = (as: Caller, column: string, level: number) =>
      db.withOrg(as.organizationId, async (sql) =>
        Number((await sql.query(`select count(*) as n from wf_instances_view where organization_id = $1 and ${column} >= $2`, [as.organizationId, level])).rows[0].n));
    /** Polls until all N reach `level` of `column` or `untilMs` passes; answers when (ms), or null. */
    const pollUntil = async (as: Caller, column: string, level: number, untilMs: number) => {
      for (;;) {
        if ((await counted(as, column, level)) === n) return Date.now();
        if (Date.now() > untilMs) return null;
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    };
    /** Seconds of each SLA_ESCALATION step line after its reference: the deadline, or `trigger` when given. */
    const spread = (as: Caller, triggerMs: number | null) =>
      db.withOrg(as.organizationId, async (sql) => {
        const { rows } = await sql.query(
          `select percentile_cont(array[0.5, 0.9, 0.99]) within group (order by extract(epoch from s.created_at - coalesce($2::timestamptz, i.sla_at))) as p,
                  count(*) as n
             from wf_steps_view s join wf_instances_view i using (instance_id)
            where s.organization_id = $1 and s.note = 'SLA_ESCALATION'`,
          [as.organizationId, triggerMs === null ? null : iso(triggerMs)],
        );
        if (Number(rows[0].n) !== n) throw new Error(`${rows[0].n} SLA_ESCALATION steps in ${as.organizationId}, expected ${n}`);
        return (rows[0].p as number[]).map((s) => s.toFixed(2));
      });

    await sleepUntil(p + minuteMs);
    const warned = await pollUntil(onTime, 'sla_warning_level', 2, q);
    console.log(warned === null
      ? `on-time: warnings NOT all recorded by the second window (${n - (await counted(onTime, 'sla_warning_level', 2))} left): the figure below includes them`
      : `on-time: all ${n} at warning level 2 ${seconds(warned - p - minuteMs)} s after its moment, ${seconds(q - warned)} s before the second window`);
    await sleepUntil(t);
    const onTimeDone = await pollUntil(onTime, 'sla_escalation_level', 1, t + hourMs);
    if (onTimeDone === null) throw new Error('the on-time instances were not all escalated within an hour');
    const onTimeSpread = await spread(onTime, null);

    // Past every deadline of the set (its instances' own timers would fire in 48 h): only the sweep acts.
    const asOf = iso(Math.max(...wall.slaAts) + minuteMs);
    const sweepBegan = Date.now();
    const handle = await system.services.temporal.workflow.start('sweepWorkflow', {
      workflowId: `bench-sla-sweep-${randomUUID()}`,
      taskQueue: bench.config.HERA_TASK_QUEUE,
      args: [{ trigger: 'api', organization_filter: [sweepOnly.organizationId], as_of: asOf }],
    });
    const sweepDone = await pollUntil(sweepOnly, 'sla_escalation_level', 1, sweepBegan + hourMs);
    const report = (await handle.result()) as Record<string, number>;
    if (sweepDone === null) throw new Error('the sweep did not escalate every instance within an hour');
    const sweepSpread = await spread(sweepOnly, sweepBegan);

    const row = (design: string, ms: number, what: string, [p50, p90, p99]: string[]) =>
      console.log(`| ${n} | ${design} | ${seconds(ms)} | ${(n / (ms / 1000)).toFixed(1)} | ${what} | ${p50} | ${p90} | ${p99} |`);
    console.log(`\n${n} instances per design, worker cache ${bench.config.HERA_WORKER_CACHED_WORKFLOWS ?? 'SDK default'}`);
    console.log('| N | design | s until all escalated | instances/s | escalation step after | p50 s | p90 s | p99 s |');
    console.log('|---|---|---|---|---|---|---|---|');
    row('on-time', onTimeDone - t, 'deadline T (lateness)', onTimeSpread);
    row('sweep-only', sweepDone - sweepBegan, 'sweep start', sweepSpread);
    const figure = (design: string, ms: number, [p50, p90, p99]: string[]) => ({
      suite: 'sla', figure: `${n.toLocaleString('en')} instances breaching at once, ${design}: s until all escalated`, value: ms / 1000, unit: 's',
      note: `escalation step p50 ${p50} s, p90 ${p90} s, p99 ${p99} s`,
    });
    await writeSummary(json, { suite: 'sla', figures: [figure('on-time', onTimeDone - t, onTimeSpread), figure('sweep-only', sweepDone - sweepBegan, sweepSpread)] });
    console.log(`\nsweep-only: as_of ${asOf}, run ${report.run_duration_ms} ms, ${report.instances_processed} processed, ${report.instances_escalated} escalated, ${report.notifications_sent} notices, ${report.errors} errors`);
  } finally {
    await bench.close();
  }
}

runBench(main);
