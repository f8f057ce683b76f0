import { randomUUID } from 'node:crypto';
import {
  ActivityFailure,
  ApplicationFailure,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { Refusal } from '../errors';

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
