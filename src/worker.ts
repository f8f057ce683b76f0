import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from './activities';
import type { Config } from './config';
import type { Db } from './db/pool';
import { connectClient, connectWorkerConnection, ensureSearchAttributes } from './temporal/connection';
import { ensureSweepSchedule } from './temporal/schedule';

export const workflowsPath = require.resolve('./workflows');

export interface WorkerDeps {
  config: Config;
  db: Db;
  /** A prebuilt bundle (tests build one and share it); otherwise the worker bundles at start. */
  workflowBundle?: WorkflowBundleWithSourceMap;
}

export interface HeraWorker {
  worker: Worker;
  /** Polls until `worker.shutdown()`, then releases the connection. */
  run(): Promise<void>;
}

/**
 * A worker on HERA's task queue; stateless, so any number of them may run side by side. At start it registers
 * HERA's search attributes and (unless HERA_SWEEP_SCHEDULE=off) creates or updates the sweep schedule.
 */
export async function createHeraWorker({ config, db, workflowBundle }: WorkerDeps): Promise<HeraWorker> {
  const client = await connectClient(config);
  let connection: NativeConnection | undefined;
  try {
    await ensureSearchAttributes(client);
    if (config.HERA_SWEEP_SCHEDULE === 'on') {
      await ensureSweepSchedule(client, { taskQueue: config.HERA_TASK_QUEUE, interval: config.HERA_SWEEP_INTERVAL });
    }
    connection = await connectWorkerConnection(config);
    const worker = await Worker.create({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.HERA_TASK_QUEUE,
      activities: createActivities({ db, temporal: client, config }),
      ...(workflowBundle ? { workflowBundle } : { workflowsPath }),
    });
    const workerConnection = connection;
    return {
      worker,
      run: () => worker.run().finally(() => Promise.all([workerConnection.close(), client.connection.close()])),
    };
  } catch (error) {
    await connection?.close();
    await client.connection.close();
    throw error;
  }
}
