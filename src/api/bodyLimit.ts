import type { RequestHandler } from 'express';
import { HeraError } from '../errors';

/** The largest request body the API reads. */
export const bodyLimitBytes = 1024 * 1024;

export function payloadTooLarge(): HeraError {
  return new HeraError('PAYLOAD_TOO_LARGE', 413, `the body exceeds the limit of ${bodyLimitBytes} bytes (1 MB)`, { limit_bytes: bodyLimitBytes });
}

/**
 * Refuses a declared Content-Length over the limit before anything reads the body, whatever its type (the
 * parsers enforce the same limit on chunked bodies). The connection is closed, so the rest is never read.
 */
export const refuseLargeBodies: RequestHandler = (req, res, next) => {
  const declared = Number(req.get('Content-Length') ?? 0);
  if (!(declared > bodyLimitBytes)) return next();
  res.setHeader('Connection', 'close');
  next(payloadTooLarge());
};
