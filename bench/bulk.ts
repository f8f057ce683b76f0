/**
 * A bulk job against the same work done by hand: N real instances (Temporal workflows), paused once by N single
 * pause Updates sent directly (C at a time, as the bulk job's batches send them), resumed by a bulk job, paused
 * by a bulk job, resumed again by N direct Updates. Each bulk job is timed from its POST (through the BULK.START
 * procedure, selection frozen included) to its record saying completed. Prints instances per second of each and
 * the ratio bulk / direct, per operation and for both (the run's figure: the order cancels drift). Starts its own Temporal dev server and an in-process worker; the bulk rate limit is
 * lifted so only the concurrency bounds both.
 *
 *   DATABASE_URL=postgres://… npx tsx bench/bulk.ts --instances 10000 --concurrency 32
 *   BENCH_BULK_INSTANCES=1000 npm run bench:bulk
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { UpdateDefinition } from '@temporalio/common';
import { Command } from 'commander';
import { findBulkJob } from '../src/db/queries/bulk';
import { systemActorId } from '../src/db/queries/codes';
import { ensureOrganization } from '../src/db/queries/organizations';
import { sendInstanceUpdate } from '../src/temporal/instanceUpdate';
import { pauseUpdate, resumeUpdate, type AdminCommand } from '../src/workflows/messages';
import { writeSummary } from './support/summary';
import { eachLimited, runBench, startBenchSystem } from './support/system';

const count = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a whole number, got ${v}`);
  return n;
};

async function main(): Promise<void> {
  const options = new Command()
    .option('--instances <n>', 'real instances (env BENCH_BULK_INSTANCES)', count, Number(process.env.BENCH_BULK_INSTANCES ?? 10_000))
    .option('--concurrency <n>', 'Updates in flight at once, for both (HERA_BULK_CONCURRENCY)', count, 32)
    .option('--json <file>', 'write the rates as JSON')
    .parse()
    .opts<{ instances: number; concurrency: number; json?: string }>();
  const n = options.instances;
  const { config, system, close } = await startBenchSystem('bulk', {
    HERA_BULK_CONCURRENCY: String(options.concurrency),
    HERA_BULK_RATE: '100000',
    // Every instance stays cached (BENCH_BULK_CACHE=0: the SDK's default, to see what eviction costs).
    ...(process.env.BENCH_BULK_CACHE === '0' ? {} : { HERA_WORKER_CACHED_WORKFLOWS: String(n + 100) }),
  });
  try {
    const org = (await ensureOrganization(system.services.db.pool, `bulk-bench-${randomUUID()}`, 'Bulk bench', systemActorId)).id;
    const caller = { userId: systemActorId, organizationId: org, roles: ['admin', 'user'] };
    let t = performance.now();
    const ids: string[] = [];
    await eachLimited(Array.from({ length: n }, (_, i) => i), 16, async () => {
      const res = await system.runProcedure('HERA.UNIV.WF.START.V1', { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE' }, caller);
      if (res.status !== 201) throw new Error(`start answered ${res.status}`);
      ids.push((res.body as { instance_id: string }).instance_id);
    });
    console.log(`started ${n} instances in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    /** The same Update a bulk job sends (audited by the instance), straight from this client. */
    const direct = async (update: UpdateDefinition<unknown, [AdminCommand]>) => {
      const began = performance.now();
      await eachLimited(ids, options.concurrency, async (id) => {
        await sendInstanceUpdate(system.services, org, id, update, { actor: caller, reason: 'bench', audit: true });
      });
      return (performance.now() - began) / 1000;
    };
    const bulk = async (operation: 'pause' | 'resume') => {
      const began = performance.now();
      // The organization holds just the bench's instances: a filter selects them all, whatever N.
      const res = await system.runProcedure('HERA.UNIV.WF.BULK.START.V1', { operation, filter: { definition_code: 'TEST_ADMIN_WORKFLOW' }, reason: 'bench' }, caller);
      if (res.status !== 202) throw new Error(`bulk ${operation} answered ${res.status}: ${JSON.stringify(res.body)}`);
      const jobId = (res.body as { job_id: string }).job_id;
      const deadline = Date.now() + 3_600_000;
      for (;;) {
        const job = await system.services.db.withOrg(org, (sql) => findBulkJob(sql, org, jobId));
        if (job && ['completed', 'cancelled', 'failed'].includes(job.status)) {
          if (job.status !== 'completed' || job.done !== n) throw new Error(`bulk ${operation} ended ${job.status} with ${job.done}/${n} done: ${JSON.stringify(job)}`);
          break;
        }
        if (Date.now() > deadline) throw new Error(`bulk ${operation} did not end within an hour`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return (performance.now() - began) / 1000;
    };

    t = performance.now();
    const directPause = await direct(pauseUpdate);
    const bulkResume = await bulk('resume');
    const bulkPause = await bulk('pause');
    const directResume = await direct(resumeUpdate);
    const rate = (s: number) => (n / s).toFixed(1);
    console.log(`\n${n} instances, concurrency ${options.concurrency}, bulk batch ${config.HERA_BULK_BATCH_SIZE}, worker cache ${config.HERA_WORKER_CACHED_WORKFLOWS ?? "SDK default"}`);
    console.log('| operation | direct Updates s | direct /s | bulk job s | bulk /s | ratio bulk/direct |');
    console.log('|---|---|---|---|---|---|');
    console.log(`| pause | ${directPause.toFixed(1)} | ${rate(directPause)} | ${bulkPause.toFixed(1)} | ${rate(bulkPause)} | ${(directPause / bulkPause).toFixed(2)} |`);
    console.log(`| resume | ${directResume.toFixed(1)} | ${rate(directResume)} | ${bulkResume.toFixed(1)} | ${rate(bulkResume)} | ${(directResume / bulkResume).toFixed(2)} |`);
    // Direct, bulk, bulk, direct: whatever drifts linearly over the run weighs the same on both sides of the sums.
    const directAll = directPause + directResume;
    const bulkAll = bulkPause + bulkResume;
    console.log(`| both | ${directAll.toFixed(1)} | ${rate(directAll / 2)} | ${bulkAll.toFixed(1)} | ${rate(bulkAll / 2)} | ${(directAll / bulkAll).toFixed(2)} |`);
    await writeSummary(options.json, {
      suite: 'bulk',
      figures: [{
        suite: 'bulk', figure: `bulk pause and resume, ${n.toLocaleString('en')} instances`, value: (2 * n) / bulkAll, unit: 'instances/s',
        floor: (2 * n) / directAll, ratio: directAll / bulkAll, note: `direct Updates as the floor, concurrency ${options.concurrency}`,
      }],
    });
  } finally {
    await close();
  }
}

runBench(main);
