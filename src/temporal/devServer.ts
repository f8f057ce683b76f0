import { spawn, type ChildProcess } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { searchAttributeTypes } from './searchAttributes';

export interface DevServerOptions {
  cliPath: string;
  port: number;
  /** Web UI port; omitted = headless. */
  uiPort?: number;
  /** SQLite file that keeps workflows across restarts; omitted = in memory. */
  dbFile?: string;
  namespace?: string;
  /** Where the server's own log goes; defaults to discarding it. */
  logTo?: 'inherit' | 'ignore';
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Dynamic config the SDK's own test server passes, plus what update-with-start needs, plus caches sized for many
 * live instances: the dev server lowers the mutable-state cache to 8,096 workflows (the server's own default is
 * 128,000) and keeps 512 KiB of history events for its one shard, so a command to one of more instances than that
 * reloads the instance and its events from SQLite first (measured: half the Update rate at 10,000 instances).
 */
const dynamicConfig = [
  'frontend.enableUpdateWorkflowExecution=true',
  'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
  'frontend.enableExecuteMultiOperation=true',
  'frontend.enableServerVersionCheck=false',
  'system.forceSearchAttributesCacheRefreshOnRead=true',
  'history.hostLevelCacheMaxSize=128000',
  'history.eventsCacheMaxSizeBytes=268435456',
];

export function devServerArgs(options: DevServerOptions): string[] {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port)];
  args.push('--namespace', options.namespace ?? 'default', '--log-level', 'warn');
  if (options.uiPort !== undefined) args.push('--ui-port', String(options.uiPort));
  else args.push('--headless');
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  for (const [name, type] of Object.entries(searchAttributeTypes)) args.push('--search-attribute', `${name}=${type}`);
  for (const value of dynamicConfig) args.push('--dynamic-config-value', value);
  return args;
}

/** Starts `temporal server start-dev` and resolves once its frontend answers. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const child = spawn(options.cliPath, devServerArgs(options), {
    stdio: ['ignore', options.logTo ?? 'ignore', options.logTo ?? 'ignore'],
  });
  const address = `127.0.0.1:${options.port}`;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`temporal server start-dev exited with code ${child.exitCode}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
      } finally {
        await connection.close();
      }
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`Temporal dev server on ${address} did not become ready: ${String(error)}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return {
    address,
    uiUrl: options.uiPort !== undefined ? `http://127.0.0.1:${options.uiPort}` : undefined,
    process: child,
    stop,
  };
}
