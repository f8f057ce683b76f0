import type {
  Next,
  WorkflowClientInterceptor,
  WorkflowStartUpdateInput,
  WorkflowStartUpdateOutput,
  WorkflowStartUpdateWithStartInput,
  WorkflowStartUpdateWithStartOutput,
} from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

/** The server's failure type for an Update it delivered to a worker that completed its task without seeing it. */
export const unprocessedUpdateType = 'UnprocessedUpdate';

/** Sends beyond the first; past them the rejection reaches the caller (a 503 to retry). */
const resends = 4;

const pause = (attempt: number) => new Promise((resolve) => setTimeout(resolve, 20 * attempt));

/** Sends until the outcome is not an unprocessed rejection, at most `resends` times more. */
async function sendUntilProcessed<O>(send: () => Promise<O>, outcomeOf: (output: O) => temporal.api.update.v1.IOutcome | null | undefined): Promise<O> {
  let output = await send();
  for (let attempt = 1; attempt <= resends && outcomeOf(output)?.failure?.applicationFailureInfo?.type === unprocessedUpdateType; attempt += 1) {
    await pause(attempt);
    output = await send();
  }
  return output;
}

/**
 * Sends an Update again when Temporal rejected it unprocessed. The server does so when the workflow task that
 * carried the Update completed without it: the SDK's worker can drop an Update that arrives while it completes
 * the previous task (a race that Updates arriving during a task holding local activities make frequent). Nothing
 * was applied, so sending it again (under the caller's Update id, where it gave one) is safe.
 */
export class ResendUnprocessedUpdates implements WorkflowClientInterceptor {
  startUpdate(input: WorkflowStartUpdateInput, next: Next<WorkflowClientInterceptor, 'startUpdate'>): Promise<WorkflowStartUpdateOutput> {
    return sendUntilProcessed(() => next(input), (output) => output.outcome);
  }

  startUpdateWithStart(
    input: WorkflowStartUpdateWithStartInput,
    next: Next<WorkflowClientInterceptor, 'startUpdateWithStart'>,
  ): Promise<WorkflowStartUpdateWithStartOutput> {
    return sendUntilProcessed(() => next(input), (output) => output.updateOutcome);
  }
}
