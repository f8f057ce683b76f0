import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowIdReusePolicy } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { HeraError, Refusal } from '../../errors';
import { nextSweepAt, sweepScheduleId } from '../../temporal/schedule';
import type { SweepInput, SweepReport } from '../../workflows/sweepContract';
import { uuidFromKey } from '../idempotency';
import { defineProcedure } from '../types';

const maxAsOfDistanceMs = 5 * 366 * 86_400_000;
const isoInstant = z.iso
  .datetime({ offset: true })
  .refine((v) => Math.abs(Date.parse(v) - Date.now()) <= maxAsOfDistanceMs, 'must be within five years of now')
  .transform((v) => new Date(v).toISOString());

/**
 * SCHEDULER (run now): the sweep for the caller's organization, synchronously. With an Idempotency-Key a
 * retried request joins (or answers from) the same run instead of starting another; a run that failed may be
 * retried with the same key.
 */
export const schedulerRun = defineProcedure({
  smartCode: 'HERA.UNIV.WF.SCHEDULER.V1',
  input: z.strictObject({
    dry_run: z.boolean().default(false),
    organization_filter: z.array(z.guid()).min(1).max(100).optional(),
    as_of: isoInstant.optional(),
    max_instances_per_run: z.number().int().positive().max(1_000_000).optional(),
  }),
  async handle(input, { caller, services, idempotencyKey, requestHash, markReplayed }): Promise<SweepReport & { next_run_at: string | null }> {
    const foreign = (input.organization_filter ?? []).filter((org) => org !== caller.organizationId);
    if (foreign.length) {
      throw new HeraError('ORGANIZATION_MISMATCH', 403, 'organization_filter may name only the token’s organization', { organization_filter: foreign });
    }
    const sweep: SweepInput = {
      trigger: 'api',
      dry_run: input.dry_run,
      organization_filter: [caller.organizationId],
      as_of: input.as_of,
      max_instances_per_run: input.max_instances_per_run,
    };
    const runKey = idempotencyKey ? uuidFromKey(caller.organizationId, 'HERA.UNIV.WF.SCHEDULER.V1', idempotencyKey) : randomUUID();
    const workflowId = `${sweepScheduleId}/run/${caller.organizationId}/${runKey}`;
    let report: SweepReport;
    try {
      const handle = await services.temporal.workflow.start('sweepWorkflow', {
        workflowId,
        taskQueue: services.config.HERA_TASK_QUEUE,
        args: [sweep],
        memo: { request_hash: requestHash },
        // A key answers its run again, unless that run failed: then the retry runs anew.
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      });
      report = await sweepResult(handle.result());
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      const earlier = services.temporal.workflow.getHandle(workflowId);
      if ((await earlier.describe()).memo?.request_hash !== requestHash) {
        throw new Refusal('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key ran the sweep with another request');
      }
      markReplayed();
      report = await sweepResult(earlier.result());
    }
    return { ...report, next_run_at: await nextSweepAt(services.temporal) };
  },
});

/** A sweep that failed (its database or Temporal gone for longer than its retries) is a 503 to retry. */
async function sweepResult(result: Promise<unknown>): Promise<SweepReport> {
  try {
    return (await result) as SweepReport;
  } catch (error) {
    if (!(error instanceof WorkflowFailedError)) throw error;
    throw new HeraError('SERVICE_UNAVAILABLE', 503, 'the sweep run failed; retry the request (with the same Idempotency-Key)', {
      reason: String(error.cause?.message ?? error.message),
    });
  }
}
