import { context, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { RequestHandler } from 'express';
import { correlationKey, requestContext, startSpan } from '../tracing';

/**
 * With tracing on, a SERVER span per request, named by its route once routed ("POST /api/v1/workflows/:id/advance"),
 * carrying the correlation id (set by the middleware before it), which also travels on as baggage: everything the
 * request does (runProcedure, the Temporal call, the workflow, its activities, their SQL) is traced inside it.
 */
export const traceRequests: RequestHandler = (req, res, next) => {
  const correlationId = String(res.getHeader('X-Correlation-ID'));
  const span = startSpan(req.method, SpanKind.SERVER, { 'http.request.method': req.method, [correlationKey]: correlationId });
  res.once('close', () => {
    const route: string | undefined = req.route?.path;
    if (route) {
      span.updateName(`${req.method} ${route}`);
      span.setAttribute('http.route', route);
    }
    span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500 || !res.writableFinished) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
  const traced = requestContext(context.active(), span, correlationId);
  // The body parser's stream events would otherwise run outside the request's context.
  context.bind(traced, req);
  context.bind(traced, res);
  context.with(traced, next);
};
