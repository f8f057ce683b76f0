/** Resolves on the first SIGINT or SIGTERM, so a command can shut down in order. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const handler = (signal: NodeJS.Signals) => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      resolve(signal);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}

/** Runs shutdown steps in order; a failing step is reported and the rest still run. */
export async function shutdown(steps: Array<[string, () => Promise<unknown>]>, log: (line: string) => void): Promise<void> {
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (error) {
      log(`stopping ${name} failed: ${String(error)}`);
    }
  }
}

/**
 * Runs the shutdown steps within `timeoutMs` (HERA_SHUTDOWN_TIMEOUT); past it, rejects naming the step still
 * running, so the command exits non-zero at once and whatever still runs is cut off by the exit.
 */
export async function shutdownWithin(timeoutMs: number, steps: Array<[string, () => Promise<unknown>]>, log: (line: string) => void): Promise<void> {
  let current = '';
  const named = steps.map(([name, step]): [string, () => Promise<unknown>] => [name, () => ((current = name), step())]);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`shutdown did not finish within ${timeoutMs} ms (still stopping: ${current}); exiting anyway`)), timeoutMs);
  });
  try {
    await Promise.race([shutdown(named, log), expired]);
  } finally {
    clearTimeout(timer);
  }
}
