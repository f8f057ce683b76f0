import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientStats } from './client';
import type { Cluster } from './cluster';
import type { Random } from './random';
import type { Timeline } from './timeline';

/** When each fault strikes, in ms after the load began; worker kills repeat until the load and the other faults are over. */
export interface FaultPlan {
  workerKillEveryMs: number;
  maxWorkerKills: number;
  apiKillAtMs: number;
  postgresStopAtMs: number;
  postgresOutageMs: number;
  temporalRestartAtMs: number;
  temporalDownMs: number;
}

export interface FaultCounts {
  worker_kills: number;
  api_kills: number;
  /** API kills that caught at least one client request in flight. */
  api_kills_mid_request: number;
  postgres_outages: number;
  temporal_restarts: number;
}

/** Runs the fault timeline against the cluster while the load runs; resolves when every fault is done. */
export async function runFaults(
  cluster: Cluster,
  plan: FaultPlan,
  timeline: Timeline,
  stats: ClientStats,
  random: Random,
  loadDone: () => boolean,
): Promise<FaultCounts> {
  const counts: FaultCounts = { worker_kills: 0, api_kills: 0, api_kills_mid_request: 0, postgres_outages: 0, temporal_restarts: 0 };
  const began = Date.now();
  const until = (ms: number) => sleep(Math.max(0, began + ms - Date.now()));
  let singlesDone = false;

  const singles = (async () => {
    await until(plan.apiKillAtMs);
    // Mid-request: wait (bounded) for a client request in flight, then kill.
    for (let i = 0; i < 50 && stats.inflight === 0; i++) await sleep(100);
    const inflight = stats.inflight;
    timeline.event(`fault: SIGKILL api with ${inflight} client request(s) in flight`);
    counts.api_kills += 1;
    if (inflight > 0) counts.api_kills_mid_request += 1;
    await cluster.killAndRestart(cluster.api, 500);

    await until(plan.postgresStopAtMs);
    timeline.event(`fault: stop postgres for ${plan.postgresOutageMs} ms`);
    await cluster.stopPostgres();
    timeline.event('postgres stopped');
    counts.postgres_outages += 1;
    await sleep(plan.postgresOutageMs);
    await cluster.startPostgresAgain();
    timeline.event('postgres started again');

    await until(plan.temporalRestartAtMs);
    timeline.event(`fault: stop the Temporal server (down ${plan.temporalDownMs} ms, same data file and port)`);
    await cluster.stopTemporal();
    timeline.event('temporal stopped');
    await sleep(plan.temporalDownMs);
    await cluster.startTemporalAgain();
    counts.temporal_restarts += 1;
    timeline.event('temporal started again');
  })().finally(() => {
    singlesDone = true;
  });

  const workerKills = (async () => {
    let which = random.int(2);
    while (counts.worker_kills < plan.maxWorkerKills && !(loadDone() && singlesDone)) {
      await sleep(plan.workerKillEveryMs * (0.75 + random.next() / 2));
      if (loadDone() && singlesDone) break;
      const worker = cluster.workers[which];
      which = 1 - which;
      if (!worker.running) continue;
      timeline.event(`fault: SIGKILL ${worker.name}`);
      counts.worker_kills += 1;
      await cluster.killAndRestart(worker);
    }
  })();

  await Promise.all([singles, workerKills]);
  return counts;
}
