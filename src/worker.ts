import { writeFile } from 'node:fs/promises';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from './activities';
import type { Config } from './config';
import type { Db } from './db/pool';
import { connectClient, connectWorkerConnection, ensureSearchAttributes } from './temporal/connection';
import { ensureSweepSchedule } from './temporal/schedule';
import { activityTracing, workflowInterceptorModules, workflowSpanSinks } from './temporal/tracing';

export const workflowsPath = require.resolve('./workflows');

/** The workflow code a worker (or the replayer) runs: the prebuilt bundle when configured, else bundled from source. */
export const workflowCode = ({ HERA_WORKFLOW_BUNDLE }: Pick<Config, 'HERA_WORKFLOW_BUNDLE'>) =>
  HERA_WORKFLOW_BUNDLE ? { workflowBundle: { codePath: HERA_WORKFLOW_BUNDLE } } : { workflowsPath };

/** Bundles the workflow code once into `file`, for HERA_WORKFLOW_BUNDLE (a worker then starts without bundling). */
export async function writeWorkflowBundle(file: string): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath, workflowInterceptorModules });
  await writeFile(file, code);
}

export interface WorkerDeps {
  config: Config;
  db: Db;
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
export async function createHeraWorker({ config, db }: WorkerDeps): Promise<HeraWorker> {
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
      // On shutdown, running activities may finish for as long as the process waits for them.
      shutdownGraceTime: config.HERA_SHUTDOWN_TIMEOUT,
      // Past the cache, each command to an instance replays its history first: size it to the instances in use.
      ...(config.HERA_WORKER_CACHED_WORKFLOWS ? { maxCachedWorkflows: config.HERA_WORKER_CACHED_WORKFLOWS } : {}),
      ...workflowCode(config),
      interceptors: {
        // A prebuilt bundle carries them already.
        workflowModules: config.HERA_WORKFLOW_BUNDLE ? [] : workflowInterceptorModules,
        activity: activityTracing(),
      },
      sinks: workflowSpanSinks(),
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
