import { context, propagation, SpanStatusCode, trace, type Attributes, type Context, type Span, type SpanKind } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { Config } from './config';

/**
 * Tracing with OpenTelemetry, one tracer provider per process. Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (or a
 * test hands an exporter): then nothing registers a provider, and every instrumented place (the API's request
 * span, runProcedure, the Temporal client and worker, the database pool) is built without tracing, so the hot
 * path pays nothing. The OTLP exporter reads the other OTEL_EXPORTER_OTLP_* variables.
 */

/** The span attribute and baggage entry carrying the request's X-Correlation-ID through the whole trace. */
export const correlationKey = 'hera.correlation_id';

interface Tracing {
  provider: NodeTracerProvider;
  processor: SpanProcessor;
  resource: Resource;
}

let current: Tracing | undefined;

/** Copies the request's correlation id from the baggage onto every span started on its path. */
class CorrelationProcessor implements SpanProcessor {
  onStart(span: Span, parent: Context): void {
    const correlationId = propagation.getBaggage(parent)?.getEntry(correlationKey)?.value;
    if (correlationId) span.setAttribute(correlationKey, correlationId);
  }
  onEnd(_span: ReadableSpan): void {}
  forceFlush = () => Promise.resolve();
  shutdown = () => Promise.resolve();
}

export interface TracingOptions {
  /** service.name of this process's spans (OTEL_SERVICE_NAME overrides it). */
  service: string;
  /** Where spans go instead of OTLP (tests); giving one turns tracing on. */
  exporter?: SpanExporter;
}

/**
 * Turns tracing on for this process when OTEL_EXPORTER_OTLP_ENDPOINT is set (or `exporter` is given) and answers
 * whether it is on; call it before opening the database pool, the Temporal client, the API and the worker. A
 * second call keeps the first one's provider (`hera dev` runs API and worker in one process).
 */
export function startTracing(config: Pick<Config, 'OTEL_EXPORTER_OTLP_ENDPOINT'>, { service, exporter }: TracingOptions): boolean {
  if (current) return true;
  if (!exporter && !config.OTEL_EXPORTER_OTLP_ENDPOINT) return false;
  // Loaded only now: a process with tracing off never loads the SDK.
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const { detectResourcesSync, envDetectorSync, Resource } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const { ATTR_SERVICE_NAME } = require('@opentelemetry/semantic-conventions') as typeof import('@opentelemetry/semantic-conventions');
  const resource = new Resource({ [ATTR_SERVICE_NAME]: service }).merge(detectResourcesSync({ detectors: [envDetectorSync] }));
  const processor = new BatchSpanProcessor(exporter ?? new OTLPTraceExporter());
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new CorrelationProcessor(), processor] });
  // The async-hooks context manager and the W3C trace-context and baggage propagators.
  provider.register();
  current = { provider, processor, resource };
  return true;
}

export const tracingOn = (): boolean => current !== undefined;

/** Exports the spans ended so far (the batch processor sends every few seconds). */
export async function flushTracing(): Promise<void> {
  await current?.provider.forceFlush();
}

/** Exports what is left and stops tracing (at process shutdown). */
export async function stopTracing(): Promise<void> {
  const stopping = current;
  current = undefined;
  await stopping?.provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
}

/** Where the worker's workflow spans (made inside the workflow sandbox, handed out through a sink) go. */
export function workflowSpanDestination(): { processor: SpanProcessor; resource: Resource } | undefined {
  return current && { processor: current.processor, resource: current.resource };
}

const tracer = trace.getTracer('hera');

/** Runs `work` in a span named `name` (an error ends it with status ERROR); a child of the active span. */
export function inSpan<T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** A span started now and ended by the caller: an HTTP request (kind SERVER), a query (kind CLIENT). */
export function startSpan(name: string, kind: SpanKind, attributes: Attributes, parent = context.active()): Span {
  return tracer.startSpan(name, { kind, attributes }, parent);
}

/** `parent` with `span` active and the request's correlation id in the baggage, so it travels with the trace. */
export function requestContext(parent: Context, span: Span, correlationId: string): Context {
  const baggage = (propagation.getBaggage(parent) ?? propagation.createBaggage()).setEntry(correlationKey, { value: correlationId });
  return propagation.setBaggage(trace.setSpan(parent, span), baggage);
}

/** What a log line made inside a traced request adds: the trace and span ids, and the correlation id. */
export function traceLogFields(): Record<string, string> {
  if (!current) return {};
  const active = context.active();
  const spanContext = trace.getSpan(active)?.spanContext();
  if (!spanContext) return {};
  const correlationId = propagation.getBaggage(active)?.getEntry(correlationKey)?.value;
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId, ...(correlationId ? { correlation_id: correlationId } : {}) };
}
