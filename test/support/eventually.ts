/** Polls `probe` until it stops throwing (an assertion inside it passes) or `timeoutMs` runs out. */
export async function eventually<T>(probe: () => Promise<T>, timeoutMs = 20_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await probe();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/** Waits until the clock reads `ms` or later: for a real deadline (taken from the data), where no event says so. */
export async function until(ms: number): Promise<void> {
  // A timer may wake a millisecond early; three rounds always suffice.
  for (let round = 0; round < 3 && Date.now() < ms; round += 1) await new Promise((resolve) => setTimeout(resolve, ms - Date.now()));
  expect(Date.now()).toBeGreaterThanOrEqual(ms);
}
