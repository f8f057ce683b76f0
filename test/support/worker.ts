import { spawn } from 'node:child_process';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { eventually } from './eventually';
import path from 'node:path';

export interface ChildWorker {
  /** Resolves once the worker polls. */
  running: Promise<void>;
  /** What it has logged so far (stderr). */
  output(): string;
  /** Sends `signal` (e.g. SIGSTOP: a worker that holds its tasks and answers nothing, like a hung host). */
  signal(signal: NodeJS.Signals): void;
  kill(): Promise<void>;
}

/** `hera worker` as a child process on a task queue of its own (`env` adds to or overrides this run's settings). */
export function childWorker(databaseUrl: string, taskQueue: string, env: Record<string, string> = {}): ChildWorker {
  const child = spawn(process.execPath, [path.resolve(__dirname, '../../bin/hera.js'), 'worker'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, HERA_TASK_QUEUE: taskQueue, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let output = '';
  const running = new Promise<void>((resolve, reject) => {
    // A worker that never gets going is stopped, so no test waits on it (or leaves it behind) forever.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`worker did not start in 60 s: ${output}`));
    }, 60_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('worker running')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}: ${output}`));
    });
  });
  running.catch(() => undefined);
  return {
    running,
    output: () => output,
    signal: (signal) => child.kill(signal),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * What a worker stopping in good order tells the server and a killed one cannot: these workflows' next tasks go to
 * their task queue, where a returning worker polls, instead of waiting 10 s on the dead worker's sticky queue.
 */
export async function forgetStickyWorker(client: Client, workflowIds: string[]): Promise<void> {
  for (const workflowId of workflowIds) {
    await client.workflowService.resetStickyTaskQueue({ namespace: client.options.namespace, execution: { workflowId } });
  }
}

/** Resolves once some worker polls `taskQueue` for workflow tasks and for activity tasks (a started worker may not yet). */
export const pollersOn = (client: Client, taskQueue: string) =>
  eventually(async () => {
    const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = temporal.api.enums.v1.TaskQueueType;
    for (const taskQueueType of [TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY]) {
      const { pollers } = await client.workflowService.describeTaskQueue({ namespace: client.options.namespace, taskQueue: { name: taskQueue }, taskQueueType });
      if (pollers.length === 0) throw new Error(`nobody polls ${taskQueue} yet`);
    }
  }, 60_000);
