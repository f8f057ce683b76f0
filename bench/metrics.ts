/**
 * GET /api/v1/metrics/workflows at scale: seeds N instances (N/2 tasks, a transition line for one in twelve) in
 * each of two organizations, then times the metrics read the API makes (`workflowMetrics`, as the application role
 * under forced row-level security) against the same counts by a plain count over every row (the reference), and
 * checks they agree.
 *
 *   npx tsx bench/metrics.ts --instances 100000 [--runs 200]
 */
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { isDeepStrictEqual } from 'node:util';
import { loadConfig } from '../src/config';
import { workflowMetrics } from '../src/db/queries/metrics';
import { recountWorkflowMetrics } from './support/metricsRecount';
import { seededOrganizations } from './support/seed';
import { writeSummary } from './support/summary';

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function timed(runs: number, warmup: number, run: () => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < warmup; i += 1) await run();
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95) };
}

/** The counted part of the answer, in the recount's shape. */
function counted(m: Awaited<ReturnType<typeof workflowMetrics>>) {
  const { active_instances, completed_instances, cancelled_instances, failed_instances, paused_instances, overdue_instances, at_risk_instances, instances, tasks_open, tasks_overdue, effects_failed } = m;
  const throughput = m.throughput.filter((b) => b.started || b.completed).map((b) => ({ hour: b.hour.slice(0, 13), started: b.started, completed: b.completed }));
  return { active_instances, completed_instances, cancelled_instances, failed_instances, paused_instances, overdue_instances, at_risk_instances, instances, tasks_open, tasks_overdue, effects_failed, throughput };
}

async function main() {
  const options = new Command()
    .requiredOption('--instances <n>', 'instances per organization', (v) => Number(v))
    .option('--runs <n>', 'timed runs of the metrics read', (v) => Number(v), 200)
    .option('--reference-runs <n>', 'timed runs of the plain recount', (v) => Number(v), 10)
    .option('--json <file>', 'write the read\'s and the recount\'s times as JSON')
    .parse()
    .opts<{ instances: number; runs: number; referenceRuns: number; json?: string }>();
  const { database, db, org, seedSeconds } = await seededOrganizations(loadConfig(), options.instances, { steps: true });
  console.log(`seeded ${options.instances} instances, ${Math.floor(options.instances / 2)} tasks in each of 2 organizations in ${seedSeconds.toFixed(1)} s`);
  const metrics = () => db.withOrg(org, (sql) => workflowMetrics(sql, org, Date.now()));
  const recount = () => db.withOrg(org, (sql) => recountWorkflowMetrics(sql, org, Date.now()));
  const now = Date.now();
  const answer = await db.withOrg(org, (sql) => workflowMetrics(sql, org, now));
  const reference = await db.withOrg(org, (sql) => recountWorkflowMetrics(sql, org, now));
  const agree = isDeepStrictEqual(counted(answer), reference);
  const read = await timed(options.runs, 20, metrics);
  const full = await timed(options.referenceRuns, 1, recount);
  console.log(`| instances / org | metrics read p50 ms | p95 ms | plain recount p50 ms | p95 ms | counts agree |`);
  console.log(`|---|---|---|---|---|---|`);
  console.log(`| ${options.instances.toLocaleString('en')} | ${read.p50.toFixed(2)} | ${read.p95.toFixed(2)} | ${full.p50.toFixed(1)} | ${full.p95.toFixed(1)} | ${agree ? 'yes' : 'NO'} |`);
  console.log(`active ${answer.active_instances}, overdue ${answer.overdue_instances}, at risk ${answer.at_risk_instances}, open tasks ${answer.tasks_open_total}, overdue tasks ${answer.tasks_overdue}, time-in-state rows ${answer.time_in_state.length}`);
  await writeSummary(options.json, {
    suite: 'metrics',
    figures: [{
      suite: 'metrics', figure: `metrics read, ${options.instances.toLocaleString('en')} instances: p95`, value: read.p95, unit: 'ms',
      // The plain recount over every row is this read's floor the other way round: the read must be the faster.
      floor: full.p95, ratio: full.p95 / read.p95, target: 'counts agree', holds: agree,
      note: `p50 ${read.p50.toFixed(2)} ms; plain recount p50 ${full.p50.toFixed(1)} ms`,
    }],
  });
  await db.close();
  await database.stop();
  if (!agree) {
    console.error('the counters disagree with the recount', JSON.stringify({ answer: counted(answer), reference }).slice(0, 2000));
    process.exit(1);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
