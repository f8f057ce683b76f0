import type { Request, RequestHandler } from 'express';
import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { HeraError } from '../errors';
import type { Caller } from '../procedures/types';

export interface RateLimitSettings {
  /** Requests per second per organization; 0 = no limit. */
  rps: number;
  /** The most requests in one second of a spike; unset = twice `rps`. */
  burst?: number;
}

/** The burst above the rate is a reserve that refills over this many seconds, so a spike cannot last. */
const burstWindowSeconds = 10;

/**
 * Per-organization request limits (per API process, in memory), keyed by the verified token's organization, so
 * it runs after authentication: past the rate and the burst, 429 RATE_LIMITED with Retry-After in whole seconds.
 * Null when the limit is off.
 */
export function organizationRateLimit({ rps, burst = 2 * rps }: RateLimitSettings): RequestHandler | null {
  if (rps === 0) return null;
  const steady = new RateLimiterMemory({ keyPrefix: 'org-rate', points: rps, duration: 1 });
  const limiter = burst > rps
    ? new BurstyRateLimiter(steady, new RateLimiterMemory({ keyPrefix: 'org-burst', points: burst - rps, duration: burstWindowSeconds }))
    : steady;
  return async (req: Request & { caller?: Caller }, res, next) => {
    try {
      await limiter.consume(req.caller!.organizationId);
      next();
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) return next(rejection);
      const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      res.setHeader('Retry-After', String(retryAfter));
      next(new HeraError('RATE_LIMITED', 429, `the organization exceeds ${rps} requests per second (burst ${burst}); retry after ${retryAfter} s`, {
        rate_per_second: rps,
        burst,
        retry_after_seconds: retryAfter,
      }));
    }
  };
}
