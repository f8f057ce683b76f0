import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { HeraError } from '../../errors';
import { rethrowRefusal } from '../../temporal/commands';
import { nextSweepAt, sweepScheduleId } from '../../temporal/schedule';
import type { SweepInput, SweepReport } from '../../workflows/sweep';
import { uuidFromKey } from '../idempotency';
import { defineProcedure } from '../types';

const isoInstant = z.iso.datetime({ offset: true }).transform((v) => new Date(v).toISOString());

/**
 * SCHEDULER (run now): the sweep for the caller's organization, synchronously. With an Idempotency-Key a
 * retried request joins (or answers from) the same run instead of starting another.
 */
export const schedulerRun = defineProcedure({
  smartCode: 'HERA.UNIV.WF.SCHEDULER.V1',
  input: z.strictObject({
    dry_run: z.boolean().default(false),
    organization_filter: z.array(z.guid()).min(1).max(100).optional(),
    as_of: isoInstant.optional(),
    max_instances_per_run: z.number().int().positive().max(1_000_000).optional(),
  }),
  async handle(input, { caller, services, idempotencyKey, markReplayed }): Promise<SweepReport & { next_run_at: string | null }> {
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
      report = (await services.temporal.workflow.execute('sweepWorkflow', {
        workflowId,
        taskQueue: services.config.HERA_TASK_QUEUE,
        args: [sweep],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      })) as SweepReport;
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) rethrowRefusal(error);
      markReplayed();
      report = (await services.temporal.workflow.getHandle(workflowId).result()) as SweepReport;
    }
    return { ...report, next_run_at: await nextSweepAt(services.temporal) };
  },
});
