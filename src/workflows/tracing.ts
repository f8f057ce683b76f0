/**
 * The workflow interceptors bundled with the workflow code (not a workflow). A command that arrives with a trace
 * context (the API's client and the worker's send one while tracing is on) runs inside Temporal's OpenTelemetry
 * interceptors: its handler is a span, and so is each activity it schedules, whose context travels on to the
 * activity; each carries the request's correlation id (from the baggage), and the spans leave the sandbox through
 * the worker's `exporter` sink. A command without one runs untouched,
 * so with tracing off the workflows spend nothing on it, and histories recorded without it replay as they were.
 */
import * as otel from '@opentelemetry/api';
import type { Headers } from '@temporalio/common';
import { TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type { WorkflowInboundCallsInterceptor, WorkflowInterceptorsFactory, WorkflowOutboundCallsInterceptor } from '@temporalio/workflow';

/** The baggage entry the API puts the request's correlation id in (src/tracing.ts). */
const correlationKey = 'hera.correlation_id';

/** Whether a span is active here: only inside a traced command's handler (nothing registers a tracer before one). */
const inTrace = () => otel.trace.getSpan(otel.context.active()) !== undefined;
const traced = (headers: Headers) => headers[TRACE_HEADER] !== undefined;
const correlationId = () => otel.propagation.getBaggage(otel.context.active())?.getEntry(correlationKey)?.value;

/** `next`, first marking the span the interceptor opened with the request's correlation id. */
function marked<T extends (input: any) => any>(next: T): T {
  return ((input) => {
    const id = correlationId();
    if (id) otel.trace.getActiveSpan()?.setAttribute(correlationKey, id);
    return next(input);
  }) as T;
}

export const interceptors: WorkflowInterceptorsFactory = () => {
  // Made on the first traced command: making them registers the sandbox's tracer.
  let inbound: OpenTelemetryInboundInterceptor | undefined;
  let outbound: OpenTelemetryOutboundInterceptor | undefined;
  const otelIn = () => (inbound ??= new OpenTelemetryInboundInterceptor());
  const otelOut = () => (outbound ??= new OpenTelemetryOutboundInterceptor());

  const gatedInbound: WorkflowInboundCallsInterceptor = {
    execute: (input, next) => (traced(input.headers) ? otelIn().execute(input, marked(next)) : next(input)),
    handleSignal: (input, next) => (traced(input.headers) ? otelIn().handleSignal(input, marked(next)) : next(input)),
    handleUpdate: (input, next) => (traced(input.headers) ? otelIn().handleUpdate(input, marked(next)) : next(input)),
    validateUpdate: (input, next) => (traced(input.headers) ? otelIn().validateUpdate(input, marked(next)) : next(input)),
    handleQuery: (input, next) => (traced(input.headers) ? otelIn().handleQuery(input, marked(next)) : next(input)),
  };
  const gatedOutbound: WorkflowOutboundCallsInterceptor = {
    scheduleActivity: (input, next) => (inTrace() ? otelOut().scheduleActivity(input, marked(next)) : next(input)),
    scheduleLocalActivity: (input, next) => (inTrace() ? otelOut().scheduleLocalActivity(input, marked(next)) : next(input)),
    startChildWorkflowExecution: (input, next) => (inTrace() ? otelOut().startChildWorkflowExecution(input, marked(next)) : next(input)),
    signalWorkflow: (input, next) => (inTrace() ? otelOut().signalWorkflow(input, marked(next)) : next(input)),
    continueAsNew: (input, next) => (inTrace() ? otelOut().continueAsNew(input, marked(next)) : next(input)),
    // A workflow's log line inside a traced command names its trace and the request's correlation id.
    getLogAttributes: (input, next) => {
      if (!inTrace()) return next(input);
      const id = correlationId();
      return otelOut().getLogAttributes(id ? { correlation_id: id, ...input } : input, next);
    },
  };
  return {
    inbound: [gatedInbound],
    outbound: [gatedOutbound],
    internals: [{ dispose: (input, next) => (inbound || outbound ? new OpenTelemetryInternalsInterceptor().dispose(input, next) : next(input)) }],
  };
};
