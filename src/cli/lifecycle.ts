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
