import { spawn } from 'node:child_process';
import path from 'node:path';

export interface HeraProcess {
  /** Resolves with the exit code (null when a signal ended it) and the moment it exited. */
  exit: Promise<{ code: number | null; at: number }>;
  /** What it wrote to stderr so far (its log). */
  output(): string;
  alive(): boolean;
  signal(signal: NodeJS.Signals): void;
  /** SIGKILL unless it already ended; resolves once it has. */
  kill(): Promise<void>;
}

/** `hera api` or `hera worker` as a child process with this run's environment, `env` added or overriding. */
export function heraProcess(command: 'api' | 'worker', env: Record<string, string>): HeraProcess {
  const child = spawn(process.execPath, [path.resolve(__dirname, '../../bin/hera.js'), command], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<{ code: number | null; at: number }>((resolve) => child.once('exit', (code) => resolve({ code, at: Date.now() })));
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    exit,
    output: () => output,
    alive,
    signal: (signal) => void child.kill(signal),
    kill: async () => {
      if (alive()) child.kill('SIGKILL');
      await exit;
    },
  };
}
