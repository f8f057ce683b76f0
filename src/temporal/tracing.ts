import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/worker';
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry/lib/workflow/definitions';
import { tracingOn, workflowSpanDestination } from '../tracing';

/** The workflow interceptors every workflow bundle carries: traced commands only (src/workflows/tracing.ts). */
export const workflowInterceptorModules = [require.resolve('../workflows/tracing')];

/**
 * Where the workflow spans leave the sandbox: this process's span processor, or nowhere with tracing off (a
 * traced command may still reach a worker that does not trace). Replay never calls it.
 */
export function workflowSpanSinks(): InjectedSinks<OpenTelemetrySinks> {
  const destination = workflowSpanDestination();
  if (!destination) return { exporter: { export: { fn: () => undefined } } };
  const { export: { fn } } = makeWorkflowExporter(destination.processor, destination.resource);
  // The sink adds the workflow's info to each span's attributes: only its flat names, not memo and search attributes.
  const named = ({ workflowId, runId, workflowType, taskQueue, namespace, attempt }: WorkflowInfo) => ({ workflowId, runId, workflowType, taskQueue, namespace, attempt });
  return { exporter: { export: { fn: (info, spans) => fn(named(info) as WorkflowInfo, spans) } } };
}

/** With tracing on, each activity is a span under the workflow's; its log lines carry the trace. */
export function activityTracing(): ActivityInterceptorsFactory[] {
  if (!tracingOn()) return [];
  return [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })];
}
