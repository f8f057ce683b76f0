import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from './activities';
import type { Config } from './config';
import type { Db } from './db/pool';
import { connectClient, connectWorkerConnection, ensureSearchAttributes } from './temporal/connection';

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

/** A worker on HERA's task queue; stateless, so any number of them may run side by side. */
export async function createHeraWorker({ config, db, workflowBundle }: WorkerDeps): Promise<HeraWorker> {
  const client = await connectClient(config);
  try {
    await ensureSearchAttributes(client);
  } finally {
    await client.connection.close();
  }
  const connection = await connectWorkerConnection(config);
  try {
    const worker = await Worker.create({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.HERA_TASK_QUEUE,
      activities: createActivities({ db }),
      ...(workflowBundle ? { workflowBundle } : { workflowsPath }),
    });
    return {
      worker,
      run: () => worker.run().finally(() => connection.close()),
    };
  } catch (error) {
    await connection.close();
    throw error;
  }
}
