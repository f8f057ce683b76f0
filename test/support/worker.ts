import { spawn } from 'node:child_process';
import path from 'node:path';

export interface ChildWorker {
  /** Resolves once the worker polls. */
  running: Promise<void>;
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
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('worker running')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${output}`)));
  });
  running.catch(() => undefined);
  return {
    running,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
