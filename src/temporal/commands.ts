import { randomUUID } from 'node:crypto';
import {
  ActivityFailure,
  ApplicationFailure,
  ServiceError,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import { HeraError, Refusal } from '../errors';
import { unprocessedUpdateType } from './unprocessedUpdates';

/** A HERA refusal carried by a Temporal failure (an ApplicationFailure typed with the HERA code), if any. */
export function refusalFrom(error: unknown): Refusal | undefined {
  let cause: unknown = error;
  if (cause instanceof WorkflowUpdateFailedError || cause instanceof WorkflowFailedError) cause = cause.cause;
  if (cause instanceof ActivityFailure) cause = cause.cause;
  if (cause instanceof ApplicationFailure && cause.type && /^[A-Z_]+$/.test(cause.type)) {
    const details = cause.details?.[0];
    return new Refusal(cause.type, cause.message, details && typeof details === 'object' ? (details as Record<string, unknown>) : {});
  }
  return undefined;
}

/** An Update the workflow never answered because the workflow ended first (e.g. its record was refused). */
export function endedBeforeAnswer(error: unknown): boolean {
  return error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure && error.cause.type === 'AcceptedUpdateCompletedWorkflow';
}

/** The HERA refusal a closed workflow failed with, if it failed with one. */
export async function refusalEndingWorkflow(temporal: Client, workflowId: string): Promise<Refusal | undefined> {
  try {
    await temporal.workflow.getHandle(workflowId).result();
    return undefined;
  } catch (error) {
    return refusalFrom(error);
  }
}

/** Rethrows a Temporal failure as the HERA refusal it carries; anything else unchanged. */
export function rethrowRefusal(error: unknown): never {
  throw refusalFrom(error) ?? error;
}

export interface RecordWorkflowRun {
  temporal: Client;
  taskQueue: string;
  organizationId: string;
  /** Names the record in the workflow id, for operators reading the Temporal UI. */
  subject: string;
}

/** Runs one short organization-record workflow to completion and answers its result. */
export async function runRecordWorkflow<T>(run: RecordWorkflowRun, workflowType: string, arg: unknown): Promise<T> {
  try {
    return (await run.temporal.workflow.execute(workflowType, {
      workflowId: `hera/${run.organizationId}/${run.subject}/${randomUUID()}`,
      taskQueue: run.taskQueue,
      args: [arg],
    })) as T;
  } catch (error) {
    rethrowRefusal(error);
  }
}

/**
 * Temporal not answering in time (no worker polling, cluster unreachable) or not taking the command yet (the
 * workflow's last task failed or timed out, e.g. its worker was killed mid-task) as a 503 the client can
 * retry (with the same Idempotency-Key where it matters); undefined for any other error.
 */
export function unavailableFrom(error: unknown): HeraError | undefined {
  const grpcCode = (e: unknown) => (e as { code?: number } | undefined)?.code;
  const code = error instanceof ServiceError ? grpcCode(error.cause) : undefined;
  let reason: string;
  if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) reason = 'no answer from the instance workflow before the deadline';
  // gRPC 4 = DEADLINE_EXCEEDED, 14 = UNAVAILABLE.
  else if (code === 4 || code === 14) reason = 'Temporal is unreachable';
  // gRPC 9 = FAILED_PRECONDITION: Temporal refuses Updates while the workflow's task is failing (attempt 3 on),
  // until a worker completes it.
  else if (code === 9) reason = 'the instance workflow is recovering from a failed or timed-out workflow task';
  // Rejected unprocessed on every resend (ResendUnprocessedUpdates): nothing was applied.
  else if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure && error.cause.type === unprocessedUpdateType) {
    reason = 'the instance workflow did not take the command';
  } else return undefined;
  return new HeraError('SERVICE_UNAVAILABLE', 503, 'the workflow service cannot take the command now; retry the request (with the same Idempotency-Key)', { reason });
}

/** Runs `work` with every Temporal call in it bounded by `timeoutMs`. */
export function withCommandDeadline<T>(temporal: Client, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  return temporal.connection.withDeadline(Date.now() + timeoutMs, work);
}

/** The latest run under `workflowId` (running or closed), or null when Temporal has none. */
export async function describeWorkflow(temporal: Client, workflowId: string): Promise<WorkflowExecutionDescription | null> {
  try {
    return await temporal.workflow.getHandle(workflowId).describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
}
