import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { bulkDryRun } from '../../db/queries/bulk';
import { actorOf } from '../../domain/actor';
import { uuidFromKey } from '../idempotency';
import { instanceFilterInput, toInstanceFilter } from '../query/instanceFilter';
import { defineProcedure } from '../types';
import { bulkOperationNames, bulkOperations } from './operations';
import { startBulkJob } from './startJob';

/** Ids a dry run shows. */
const sampleSize = 20;

const bulkStartInput = z
  .strictObject({
    operation: z.enum(bulkOperationNames),
    filter: instanceFilterInput.optional(),
    // The ids travel in the job workflow's input: 10,000 stay under Temporal's 512 KB payload warning; more by a filter.
    instance_ids: z.array(z.guid()).min(1).max(10_000).optional(),
    params: z.record(z.string(), z.unknown()).default({}),
    dry_run: z.boolean().optional(),
    max_instances: z.number().int().min(1).optional(),
    reason: z.string().trim().min(1).max(1000),
  })
  .superRefine((input, ctx) => {
    if ((input.filter === undefined) === (input.instance_ids === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['filter'], message: 'give exactly one of filter or instance_ids' });
    }
    // `params` is the single operation's own input, less the instance.
    const parsed = bulkOperations[input.operation].params.safeParse(input.params);
    if (parsed.success) return;
    for (const issue of parsed.error.issues) {
      const fields = issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key]) : [issue.path];
      for (const field of fields) ctx.addIssue({ code: 'custom', path: ['params', ...field], message: issue.message });
    }
  });

/**
 * BULK.START: one operation on every instance a filter (or a list of ids) selects. A dry run counts in the read
 * model what it would select and skip; a real run freezes the selection and answers 202 with the job and its count.
 */
export const bulkStart = defineProcedure({
  smartCode: 'HERA.UNIV.WF.BULK.START.V1',
  input: bulkStartInput,
  async handle(input, ctx) {
    const { caller, services, idempotencyKey, requestHash } = ctx;
    const org = caller.organizationId;
    const operation = bulkOperations[input.operation];
    const params = operation.params.parse(input.params);
    const selection = input.filter ? { filter: toInstanceFilter(input.filter, new Date()) } : { instance_ids: input.instance_ids! };
    if (input.dry_run) {
      ctx.markOk();
      return services.db.withOrg(org, (sql) => bulkDryRun(sql, org, selection, operation.wouldSkip(params), input.max_instances ?? null, sampleSize));
    }
    return startBulkJob(
      {
        organizationId: org,
        jobId: idempotencyKey ? uuidFromKey(caller, 'BULK', idempotencyKey) : randomUUID(),
        operation: input.operation,
        params: params as Record<string, unknown>,
        selection,
        maxInstances: input.max_instances ?? null,
        reason: input.reason,
        actor: actorOf(caller),
        requestHash,
        retryOf: null,
      },
      ctx,
    );
  },
});
