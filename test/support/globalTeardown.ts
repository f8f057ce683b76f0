/** Stops what the global setup started, last first. */
export default async function globalTeardown(): Promise<void> {
  for (const stop of (globalThis.heraTestStops ?? []).reverse()) {
    await stop().catch((error: unknown) => process.stderr.write(`teardown: ${String(error)}\n`));
  }
}
