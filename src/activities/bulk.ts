import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Db } from '../db/pool';
import {
  appendBulkItems,
  bulkSnapshotState,
  claimBulkTurn,
  completeBulkSnapshot,
  finishBulkJob,
  insertBulkJob,
  pendingBulkItems,
  recordBulkOutcomes,
  selectionPage,
  type BulkOutcome,
} from '../db/queries/bulk';
import { loadDefinitionCatalog } from '../definitions/catalog';
import { Refusal } from '../errors';
import { cappedString } from '../procedures/auditInput';
import { bulkOperation } from '../procedures/bulk/operations';
import { refusalFrom, unavailableFrom } from '../temporal/commands';
import { bulkWorkflowId, type BatchRequest, type BatchResult, type BulkCounts, type BulkJobRequest, type BulkStatus, type FinishResult } from '../workflows/bulkContract';

/** Instances the snapshot freezes per page (one insert and one position write each). */
const snapshotPage = 1000;
/** A batch heartbeats this often whatever its items do, so a dead worker is noticed within the heartbeat timeout. */
const heartbeatEveryMs = 2_000;

export interface BulkDeps {
  db: Db;
  /** Bulk batches send each instance its Update through it. */
  temporal: Client;
  config: Config;
}

/** Spaces starts `1000 / rate` ms apart across all lanes of one batch. */
function rateLimiter(perSecond: number) {
  const gapMs = 1000 / perSecond;
  let nextAt = 0;
  return async () => {
    const now = Date.now();
    const at = Math.max(now, nextAt);
    nextAt = at + gapMs;
    if (at > now) await sleep(at - now);
  };
}

/** An item's outcome from what its Update did: a refusal is a skip with its code; anything else a failure. */
function outcomeOf(error: unknown): Pick<BulkOutcome, 'outcome' | 'code' | 'message'> {
  const refusal = error instanceof Refusal ? error : refusalFrom(error);
  if (refusal) return { outcome: 'skipped', code: refusal.code, message: cappedString(refusal.message) };
  const message = cappedString(error instanceof Error ? error.message : String(error));
  // gRPC 4 = DEADLINE_EXCEEDED: the item's deadline passed without an answer.
  const timedOut = error instanceof WorkflowUpdateRPCTimeoutOrCancelledError || (error instanceof ServiceError && (error.cause as { code?: number } | undefined)?.code === 4);
  if (timedOut) return { outcome: 'failed', code: 'TIMEOUT', message };
  return { outcome: 'failed', code: unavailableFrom(error) ? 'UNAVAILABLE' : 'ERROR', message };
}

/**
 * The bulk job's activities: freeze the selection into the job's items, take the organization's turn, run a
 * batch of items (each the single operation's Update), and end the job.
 */
export function bulkActivities({ db, temporal, config }: BulkDeps) {
  const itemTimeoutMs = config.HERA_COMMAND_TIMEOUT_MS;
  // What an operation sends through; the shipped definitions resolve a finished instance's effect retry policy.
  const sendDeps = { db, temporal, config, definitions: loadDefinitionCatalog() };

  return {
    /**
     * Writes the job's record and its items, page by page in the selection's order; resumable, so a retry after a
     * crash continues where the last committed page ended. Answers the frozen count.
     */
    async snapshotBulkJob(request: BulkJobRequest): Promise<{ matched: number }> {
      const { organizationId: org, jobId } = request;
      await db.withOrg(org, (sql) => insertBulkJob(sql, { ...request, workflowId: bulkWorkflowId(org, jobId) }));
      let state = await db.withOrg(org, (sql) => bulkSnapshotState(sql, org, jobId));
      const max = request.maxInstances ?? Number.POSITIVE_INFINITY;
      while (!state.complete) {
        const limit = Math.min(snapshotPage, max - state.lines);
        const page = limit > 0 ? await db.withOrg(org, (sql) => selectionPage(sql, org, request.selection, state.frozenAt, state.after, limit)) : { ids: [], next: null };
        const lines = state.lines + page.ids.length;
        const next = { lines, after: page.next, complete: page.next === null || lines >= max };
        await db.withOrg(org, async (sql) => {
          if (page.ids.length) await appendBulkItems(sql, org, jobId, state.lines + 1, page.ids, next, request.actor.userId);
          if (next.complete) await completeBulkSnapshot(sql, org, jobId, lines);
        });
        state = { ...next, frozenAt: state.frozenAt };
        Context.current().heartbeat(lines);
      }
      return { matched: state.lines };
    },

    /** `running` once the job is its organization's oldest unfinished job, else still `queued` (or how it ended). */
    async claimBulkTurn({ organizationId, jobId }: { organizationId: string; jobId: string }): Promise<BulkStatus> {
      return db.withOrg(organizationId, (sql) => claimBulkTurn(sql, organizationId, jobId, new Date().toISOString()));
    },

    /**
     * Sends the next pending items after `afterLine` their Update, `HERA_BULK_CONCURRENCY` at a time and at most
     * `HERA_BULK_RATE` a second, recording their outcomes with each heartbeat (one statement each), so the job's
     * progress shows within seconds and a batch retried after a crash neither resends what was recorded nor applies
     * anything twice (each Update's id names the job and the instance). Cancelled, it stops starting items, records
     * those it attempted, and reports the cancellation.
     */
    async runBulkBatch(request: BatchRequest): Promise<BatchResult> {
      const { organizationId: org, jobId } = request;
      const ctx = Context.current();
      const operation = bulkOperation(request.operation);
      const params = operation.params.parse(request.params);
      const items = await db.withOrg(org, (sql) => pendingBulkItems(sql, org, jobId, request.afterLine, request.limit + 1));
      const taken = items.slice(0, request.limit);
      const command = { actor: request.actor, reason: request.reason, audit: true as const, bulk_job_id: jobId };
      const outcomes: BulkOutcome[] = [];
      let attempted = 0;
      // One recording at a time, each taking the outcomes gathered since the one before (given back if it fails,
      // so the last recording, which must succeed, writes them).
      let recorded = Promise.resolve<BulkCounts | null>(null);
      const record = (last = false) => {
        recorded = recorded
          .catch(() => null)
          .then(async () => {
            const due = outcomes.splice(0);
            if (!due.length && !last) return null;
            try {
              return await db.withOrg(org, (sql) => recordBulkOutcomes(sql, org, jobId, due, request.actor.userId));
            } catch (error) {
              outcomes.unshift(...due);
              throw error;
            }
          });
        return recorded;
      };
      const pace = rateLimiter(config.HERA_BULK_RATE);
      const beat = setInterval(() => {
        ctx.heartbeat(attempted);
        void record().catch(() => undefined);
      }, heartbeatEveryMs);
      let index = 0;
      try {
        const lane = async () => {
          while (index < taken.length && !ctx.cancellationSignal.aborted) {
            const item = taken[index++];
            await pace();
            if (ctx.cancellationSignal.aborted) {
              index = taken.length;
              return;
            }
            let outcome: Pick<BulkOutcome, 'outcome' | 'code' | 'message'>;
            try {
              await temporal.connection.withDeadline(Date.now() + itemTimeoutMs, () =>
                operation.send(sendDeps, org, item.instance_id, params, command, `bulk:${jobId}:${item.instance_id}`),
              );
              outcome = { outcome: 'done', code: null, message: null };
            } catch (error) {
              outcome = outcomeOf(error);
            }
            outcomes.push({ line_number: item.line_number, ...outcome, at: new Date().toISOString() });
            attempted += 1;
          }
        };
        await Promise.all(Array.from({ length: Math.min(config.HERA_BULK_CONCURRENCY, taken.length) }, lane));
      } finally {
        clearInterval(beat);
      }
      const counts = (await record(true))!;
      // Cancelled: what was attempted is recorded; the workflow learns of the cancellation from the failure.
      if (ctx.cancellationSignal.aborted) await ctx.cancelled;
      return {
        attempted,
        lastLine: taken.length ? taken[taken.length - 1].line_number : request.afterLine,
        exhausted: items.length <= request.limit,
        counts,
      };
    },

    /** Ends the job as `status` and names its organization's next queued job. */
    async finishBulkJob({ organizationId, jobId, status, actorId }: { organizationId: string; jobId: string; status: BulkStatus; actorId: string }): Promise<FinishResult> {
      return db.withOrg(organizationId, (sql) => finishBulkJob(sql, organizationId, jobId, status, new Date().toISOString(), actorId));
    },
  };
}
