/**
 * The workflow interceptors bundled with the workflow code (not a workflow). A command that arrives with a trace
 * context (the API's client and the worker's send one while tracing is on) runs inside Temporal's OpenTelemetry
 * interceptors: its handler is a span, and so is each activity it schedules, whose context travels on to the
 * activity; each carries the request's correlation id (from the baggage), and the spans leave the sandbox through
 * the worker's `exporter` sink. A command without one runs untouched, so with tracing off the workflows spend
 * nothing on it, and histories recorded without it replay as they were.
 */
import type * as OpenTelemetryApi from '@opentelemetry/api';
import type { Headers } from '@temporalio/common';
import type * as TemporalOpenTelemetry from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type { WorkflowInboundCallsInterceptor, WorkflowInterceptorsFactory, WorkflowOutboundCallsInterceptor } from '@temporalio/workflow';

/** The baggage entry the API puts the request's correlation id in (src/tracing.ts). */
const correlationKey = 'hera.correlation_id';
/** The header Temporal's OpenTelemetry interceptors carry a trace context in (their TRACE_HEADER). */
const traceHeader = '_tracer-data';
const traced = (headers: Headers) => headers[traceHeader] !== undefined;

// Loaded at a workflow's first traced command: with tracing off, no workflow evaluates OpenTelemetry's modules.
const otel = () => require('@opentelemetry/api') as typeof OpenTelemetryApi;
const temporalOtel = () => require('@temporalio/interceptors-opentelemetry/lib/workflow') as typeof TemporalOpenTelemetry;

/** Whether a span is active here: only inside a traced command's handler. */
const inTrace = () => otel().trace.getSpan(otel().context.active()) !== undefined;
const correlationId = () => otel().propagation.getBaggage(otel().context.active())?.getEntry(correlationKey)?.value;

/** `next`, first marking the span the interceptor opened with the request's correlation id. */
function marked<T extends (input: any) => any>(next: T): T {
  return ((input) => {
    const id = correlationId();
    if (id) otel().trace.getActiveSpan()?.setAttribute(correlationKey, id);
    return next(input);
  }) as T;
}

export const interceptors: WorkflowInterceptorsFactory = () => {
  // Made on this run's first traced command: making them registers the sandbox's tracer.
  let inbound: TemporalOpenTelemetry.OpenTelemetryInboundInterceptor | undefined;
  let outbound: TemporalOpenTelemetry.OpenTelemetryOutboundInterceptor | undefined;
  const otelIn = () => (inbound ??= new (temporalOtel().OpenTelemetryInboundInterceptor)());
  const otelOut = () => (outbound ??= new (temporalOtel().OpenTelemetryOutboundInterceptor)());
  // Outbound calls look for a span only once a traced command came in (and loaded OpenTelemetry).
  const tracing = () => inbound !== undefined && inTrace();

  const gatedInbound: WorkflowInboundCallsInterceptor = {
    execute: (input, next) => (traced(input.headers) ? otelIn().execute(input, marked(next)) : next(input)),
    handleSignal: (input, next) => (traced(input.headers) ? otelIn().handleSignal(input, marked(next)) : next(input)),
    handleUpdate: (input, next) => (traced(input.headers) ? otelIn().handleUpdate(input, marked(next)) : next(input)),
    validateUpdate: (input, next) => (traced(input.headers) ? otelIn().validateUpdate(input, marked(next)) : next(input)),
    handleQuery: (input, next) => (traced(input.headers) ? otelIn().handleQuery(input, marked(next)) : next(input)),
  };
  const gatedOutbound: WorkflowOutboundCallsInterceptor = {
    scheduleActivity: (input, next) => (tracing() ? otelOut().scheduleActivity(input, marked(next)) : next(input)),
    scheduleLocalActivity: (input, next) => (tracing() ? otelOut().scheduleLocalActivity(input, marked(next)) : next(input)),
    startChildWorkflowExecution: (input, next) => (tracing() ? otelOut().startChildWorkflowExecution(input, marked(next)) : next(input)),
    signalWorkflow: (input, next) => (tracing() ? otelOut().signalWorkflow(input, marked(next)) : next(input)),
    continueAsNew: (input, next) => (tracing() ? otelOut().continueAsNew(input, marked(next)) : next(input)),
    // A workflow's log line inside a traced command names its trace and the request's correlation id.
    getLogAttributes: (input, next) => {
      if (!tracing()) return next(input);
      const id = correlationId();
      return otelOut().getLogAttributes(id ? { correlation_id: id, ...input } : input, next);
    },
  };
  return {
    inbound: [gatedInbound],
    outbound: [gatedOutbound],
    internals: [{ dispose: (input, next) => (inbound || outbound ? new (temporalOtel().OpenTelemetryInternalsInterceptor)().dispose(input, next) : next(input)) }],
  };
};
