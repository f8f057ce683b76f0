import { ServiceError } from '@temporalio/client';
import { connectionLost } from '../db/pool';

/**
 * Whether `error` says a dependency is away (refused, not answering, starting up) rather than misconfigured (a
 * wrong password, a refused role, a bad address), which waiting would not mend.
 */
export function dependencyAway(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  // PostgreSQL: nothing listening, no connection within the pool's timeout, the server starting up.
  if (connectionLost(error) || code === 'ECONNREFUSED' || code === '57P03') return true;
  if (error instanceof Error && error.message.startsWith('timeout exceeded when trying to connect')) return true;
  // Temporal: the client's and the worker's connections failing to connect, a call refused as UNAVAILABLE or timed out.
  if (error instanceof Error && (error.name === 'TransportError' || error.message === 'Failed to connect before the deadline')) return true;
  return error instanceof ServiceError && [4, 14].includes((error.cause as { code?: number } | undefined)?.code ?? -1);
}

/**
 * Runs `start` until it succeeds, waiting 1 s, doubling to 10 s, while a dependency is away, so a process
 * started during an outage waits for it instead of exiting; any other error is thrown at once.
 */
export async function untilAvailable<T>(start: () => Promise<T>, waiting: (error: unknown, retryInMs: number) => void): Promise<T> {
  for (let delay = 1_000; ; delay = Math.min(delay * 2, 10_000)) {
    try {
      return await start();
    } catch (error) {
      if (!dependencyAway(error)) throw error;
      waiting(error, delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
