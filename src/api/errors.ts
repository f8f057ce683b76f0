import type { ErrorRequestHandler, RequestHandler } from 'express';
import { DatabaseUnavailable, HeraError } from '../errors';
import { logger } from '../logger';
import { payloadTooLarge } from './bodyLimit';

export function errorBody(error: HeraError) {
  return { error: { code: error.code, message: error.message, details: error.details } };
}

/** Unknown paths answer in the same JSON shape as every other error. */
export const notFound: RequestHandler = (req, res) => {
  const error = new HeraError('ROUTE_NOT_FOUND', 404, `no route ${req.method} ${req.path}`);
  res.status(404).json(errorBody(error));
};

/** HERA errors keep their status; body-parser failures are the client's; anything else is a logged 500. */
export const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
  let hera: HeraError;
  if (error instanceof HeraError) hera = error;
  else if (error instanceof DatabaseUnavailable) {
    logger.warn({ err: error, path: req.path, correlation_id: res.getHeader('X-Correlation-ID') }, 'no database connection');
    hera = new HeraError('DATABASE_UNAVAILABLE', 503, 'the database is not answering; retry the request (with the same Idempotency-Key)');
  } else if (error?.type === 'entity.parse.failed') hera = new HeraError('INVALID_JSON', 400, 'the body is not valid JSON');
  else if (error?.type === 'entity.too.large') hera = payloadTooLarge();
  else if (typeof error?.status === 'number' && error.status >= 400 && error.status < 500) {
    hera = new HeraError('BAD_REQUEST', error.status, String(error.message ?? 'bad request'));
  } else {
    logger.error({ err: error, path: req.path, correlation_id: res.getHeader('X-Correlation-ID') }, 'request failed');
    hera = new HeraError('INTERNAL', 500, 'internal error');
  }
  res.status(hera.status).json(errorBody(hera));
};
