import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type WorkflowExecutionDescription } from '@temporalio/client';
import { z } from 'zod';
import { HeraError, Refusal } from '../../errors';
import { describeWorkflow } from '../../temporal/commands';
import { nextSweepAt, sweepScheduleId } from '../../temporal/schedule';
import type { SweepInput, SweepReport } from '../../workflows/sweepContract';
import { uuidFromKey } from '../idempotency';
import { defineProcedure } from '../types';

const maxAsOfDistanceMs = 5 * 366 * 86_400_000;
const isoInstant = z.iso
  .datetime({ offset: true })
  .refine((v) => Math.abs(Date.parse(v) - Date.now()) <= maxAsOfDistanceMs, 'must be within five years of now')
  .transform((v) => new Date(v).toISOString());

/** The organization's on-demand sweep: one id, so Temporal runs at most one at a time per organization. */
const onDemandSweepId = (organizationId: string) => `${sweepScheduleId}/run/${organizationId}`;

/**
 * SCHEDULER (run now): the sweep for the caller's organization, synchronously; one at a time per organization
 * (another request meanwhile is 409 SWEEP_RUNNING). With an Idempotency-Key a retried request joins or answers
 * the same run while it is the organization's latest; a run that failed is run anew under the same key.
 */
export const schedulerRun = defineProcedure({
  smartCode: 'HERA.UNIV.WF.SCHEDULER.V1',
  input: z
    .strictObject({
      dry_run: z.boolean().default(false),
      organization_filter: z.array(z.guid()).min(1).max(100).optional(),
      as_of: isoInstant.optional(),
      max_instances_per_run: z.number().int().positive().max(1_000_000).optional(),
    })
    // A committed run as of a later moment would escalate and notify ahead of time: only a what-if may look ahead.
    .refine((input) => input.dry_run || input.as_of === undefined || Date.parse(input.as_of) <= Date.now(), {
      path: ['as_of'],
      message: 'a moment later than now needs dry_run: true',
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
    const workflowId = onDemandSweepId(caller.organizationId);
    const runKey = idempotencyKey ? uuidFromKey(caller, 'HERA.UNIV.WF.SCHEDULER.V1', idempotencyKey) : null;
    /** The key's run, if `run` is it: its answer (a replay), or a refusal when the key came with another request. */
    const keyedAnswer = async (run: WorkflowExecutionDescription | null): Promise<SweepReport | null> => {
      if (!run || runKey === null || run.memo?.idempotency_key !== runKey || !['RUNNING', 'COMPLETED', 'CONTINUED_AS_NEW'].includes(run.status.name)) return null;
      if (run.memo?.request_hash !== requestHash) throw new Refusal('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key ran the sweep with another request');
      markReplayed();
      return sweepResult(services.temporal.workflow.getHandle(workflowId, run.runId).result());
    };
    let report = await keyedAnswer(await describeWorkflow(services.temporal, workflowId));
    if (!report) {
      try {
        const handle = await services.temporal.workflow.start('sweepWorkflow', {
          workflowId,
          taskQueue: services.config.HERA_TASK_QUEUE,
          args: [sweep],
          memo: { request_hash: requestHash, idempotency_key: runKey },
          staticSummary: `SLA sweep · on demand${input.dry_run ? ' (dry run)' : ''} · organization ${caller.organizationId}`,
          workflowIdConflictPolicy: 'FAIL',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        });
        report = await sweepResult(handle.result());
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        const running = await describeWorkflow(services.temporal, workflowId);
        report = await keyedAnswer(running);
        if (!report) {
          throw new Refusal('SWEEP_RUNNING', 'a sweep of this organization is running; retry once it has finished', {
            workflow_id: workflowId,
            started_at: running?.startTime.toISOString() ?? null,
          });
        }
      }
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
