import type { BulkCounts, BulkJobRequest, BulkSelection, BulkStatus } from '../../workflows/bulkContract';
import type { Sql } from '../pool';
import { smartCodes, transactionTypes } from './codes';
import { instanceFilterConditions } from './instancesList';
import { keysetPage, type KeysetPosition } from './keyset';

/** A job as the read model shows it. */
export interface BulkJobRow {
  job_id: string;
  operation: string;
  status: BulkStatus;
  params: Record<string, unknown>;
  selection: BulkSelection;
  reason: string;
  max_instances: number | null;
  matched: number | null;
  done: number;
  skipped: Record<string, number>;
  failed: Record<string, number>;
  request_hash: string;
  workflow_id: string;
  retry_of: string | null;
  created_by: string;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Date;
}

export interface BulkItemRow {
  item_id: string;
  line_number: number;
  instance_id: string;
  outcome: 'pending' | 'done' | 'skipped' | 'failed';
  code: string | null;
  message: string | null;
  at: Date | null;
}

/** Where freezing a job's selection has got to: the items written so far and the selection's position after them. */
interface SnapshotState {
  lines: number;
  after: KeysetPosition | null;
  complete: boolean;
}

const jobColumns = `job_id, operation, status, params, selection, reason, max_instances, matched, done, skipped, failed,
  request_hash, workflow_id, retry_of, created_by, created_at, started_at, finished_at, updated_at`;

const itemColumns = 'item_id, line_number, instance_id, outcome, code, message, at';

/** Writes the job's record (queued, nothing selected yet) unless it exists: a retried start writes nothing twice. */
export async function insertBulkJob(sql: Sql, job: BulkJobRequest & { workflowId: string }): Promise<void> {
  const metadata = {
    operation: job.operation,
    params: job.params,
    selection: job.selection,
    reason: job.reason,
    max_instances: job.maxInstances,
    request_hash: job.requestHash,
    workflow_id: job.workflowId,
    retry_of: job.retryOf,
    done: 0,
    skipped: {},
    failed: {},
    snapshot: { lines: 0, after: null, complete: false } satisfies SnapshotState,
  };
  await sql.query(
    `insert into universal_transactions (id, organization_id, transaction_type, smart_code, transaction_status, metadata, created_by, updated_by)
     values ($1, $2, $3, $4, 'queued', $5, $6, $6)
     on conflict (id) do nothing`,
    [job.jobId, job.organizationId, transactionTypes.bulkJob, smartCodes.bulkJob, metadata, job.actor.userId],
  );
}

export async function findBulkJob(sql: Sql, org: string, jobId: string): Promise<BulkJobRow | undefined> {
  const { rows } = await sql.query<BulkJobRow>(`select ${jobColumns} from wf_bulk_jobs_view where organization_id = $1 and job_id = $2`, [org, jobId]);
  return rows[0];
}

/** Where the job's frozen selection stands, and the moment it froze at (the job's creation). */
export async function bulkSnapshotState(sql: Sql, org: string, jobId: string): Promise<SnapshotState & { frozenAt: string }> {
  const { rows } = await sql.query<{ snapshot: SnapshotState; frozen_at: string }>(
    `select snapshot, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as frozen_at
       from wf_bulk_jobs_view where organization_id = $1 and job_id = $2`,
    [org, jobId],
  );
  if (!rows[0]) throw new Error(`bulk job ${jobId} has no record`);
  return { ...rows[0].snapshot, frozenAt: rows[0].frozen_at };
}

/**
 * One keyset page of what a selection names, in a stable order: instances by filter or id in creation order (only
 * those existing when the job was created), or another job's failed items in their order.
 */
export async function selectionPage(
  sql: Sql,
  org: string,
  selection: BulkSelection,
  frozenAt: string,
  after: KeysetPosition | null,
  limit: number,
): Promise<{ ids: string[]; next: KeysetPosition | null }> {
  if ('failed_of' in selection) {
    const page = await keysetPage<{ instance_id: string }>(sql, {
      view: 'wf_bulk_items_view',
      columns: 'instance_id',
      idColumn: 'item_id',
      sortColumn: 'line_number',
      sortType: 'int',
      direction: 'asc',
      organizationId: org,
      filters: [['job_id = ?::uuid', selection.failed_of], ['outcome = ?', 'failed']],
      limit,
      after,
    });
    return { ids: page.rows.map((r) => r.instance_id), next: page.next };
  }
  const filters = 'filter' in selection ? instanceFilterConditions(selection.filter) : [['instance_id = any(?::uuid[])', selection.instance_ids] as [string, unknown]];
  const page = await keysetPage<{ instance_id: string }>(sql, {
    view: 'wf_instances_view',
    columns: 'instance_id',
    idColumn: 'instance_id',
    sortColumn: 'created_at',
    sortType: 'timestamptz',
    direction: 'asc',
    organizationId: org,
    filters: [...filters, ['created_at <= ?::timestamptz', frozenAt]],
    limit,
    after,
  });
  return { ids: page.rows.map((r) => r.instance_id), next: page.next };
}

/**
 * Appends a page of the selection as pending items after the `firstLine - 1` written so far, and moves the
 * snapshot's position in the same transaction, so a retried snapshot neither skips nor repeats an instance.
 */
export async function appendBulkItems(sql: Sql, org: string, jobId: string, firstLine: number, ids: string[], state: SnapshotState, actorId: string): Promise<void> {
  await sql.query(
    `insert into universal_transaction_lines (organization_id, transaction_id, line_number, line_type, smart_code, line_data, created_by, updated_by)
     select $1, $2, $3 + t.ord - 1, 'BULK_ITEM', $4, jsonb_build_object('instance_id', t.id, 'outcome', 'pending'), $6, $6
       from unnest($5::uuid[]) with ordinality as t(id, ord)
     on conflict (transaction_id, line_number) do nothing`,
    [org, jobId, firstLine, smartCodes.bulkItem, ids, actorId],
  );
  await sql.query(
    `update universal_transactions set metadata = metadata || jsonb_build_object('snapshot', $3::jsonb), updated_at = now()
      where organization_id = $1 and id = $2`,
    [org, jobId, state],
  );
}

/** The selection is frozen: its count is the job's `matched`. */
export async function completeBulkSnapshot(sql: Sql, org: string, jobId: string, matched: number): Promise<void> {
  await sql.query(
    `update universal_transactions
        set metadata = metadata || jsonb_build_object('matched', $3::int, 'snapshot', (metadata->'snapshot') || '{"complete": true}'::jsonb),
            updated_at = now()
      where organization_id = $1 and id = $2`,
    [org, jobId, matched],
  );
}

/**
 * Takes the organization's turn when the job is its oldest unfinished one (FIFO by creation): the job is then
 * `running` (its start time set once). A running job keeps the turn until it ends, even against an older job
 * whose record was written after it took the turn (two POSTs racing). Answers the job's status after.
 */
export async function claimBulkTurn(sql: Sql, org: string, jobId: string, now: string): Promise<BulkStatus> {
  const { rows } = await sql.query<{ status: BulkStatus }>(
    `with head as (
       select id from universal_transactions
        where organization_id = $1 and transaction_type = $4 and transaction_status in ('queued', 'running')
        order by transaction_status = 'running' desc, created_at, id limit 1)
     update universal_transactions j
        set transaction_status = 'running',
            metadata = case when j.metadata ? 'started_at' then j.metadata else j.metadata || jsonb_build_object('started_at', $3::text) end,
            updated_at = now()
       from head
      where j.organization_id = $1 and j.id = $2 and head.id = j.id and j.transaction_status in ('queued', 'running')
     returning j.transaction_status as status`,
    [org, jobId, now, transactionTypes.bulkJob],
  );
  if (rows[0]) return rows[0].status;
  return (await findBulkJob(sql, org, jobId))?.status ?? 'queued';
}

/** The job's next pending items after `afterLine`, in line order. */
export async function pendingBulkItems(sql: Sql, org: string, jobId: string, afterLine: number, limit: number) {
  const { rows } = await sql.query<{ line_number: number; instance_id: string }>(
    `select line_number, instance_id from wf_bulk_items_view
      where organization_id = $1 and job_id = $2 and outcome = 'pending' and line_number > $3
      order by line_number limit $4`,
    [org, jobId, afterLine, limit],
  );
  return rows;
}

export interface BulkOutcome {
  line_number: number;
  outcome: 'done' | 'skipped' | 'failed';
  code: string | null;
  message: string | null;
  at: string;
}

const countsSql = `jsonb_build_object('matched', coalesce((metadata->>'matched')::int, 0), 'done', coalesce((metadata->>'done')::int, 0),
  'skipped', coalesce(metadata->'skipped', '{}'::jsonb), 'failed', coalesce(metadata->'failed', '{}'::jsonb))`;

/** `counts` (a jsonb object of code → n) plus this batch's items of `outcome`, by code. */
const mergedCodes = (outcome: string) => `(select coalesce(jsonb_object_agg(code, n), '{}'::jsonb) from (
     select code, sum(n)::int as n from (
       select key as code, value::int as n from jsonb_each_text(coalesce(j.metadata->'${outcome}', '{}'::jsonb))
       union all select code, n from tallied where outcome = '${outcome}') all_codes group by code) merged)`;

/**
 * Records a batch's outcomes and adds them to the job's counts, in one statement. Only items still pending
 * change and count, so a batch recorded twice (a retried activity) counts once. Answers the job's counts.
 */
export async function recordBulkOutcomes(sql: Sql, org: string, jobId: string, outcomes: BulkOutcome[], actorId: string): Promise<BulkCounts> {
  const { rows } = await sql.query<{ counts: BulkCounts }>(
    `with results as (
       select * from jsonb_to_recordset($3::jsonb) as r(line_number int, outcome text, code text, message text, at text)),
     changed as (
       update universal_transaction_lines l
          set line_data = l.line_data || jsonb_build_object('outcome', r.outcome, 'code', r.code, 'message', r.message, 'at', r.at),
              updated_by = $4, updated_at = now()
         from results r
        where l.organization_id = $1 and l.transaction_id = $2 and l.line_number = r.line_number
          and l.line_type = 'BULK_ITEM' and l.line_data->>'outcome' = 'pending'
       returning r.outcome, coalesce(r.code, 'UNKNOWN') as code),
     tallied as (select outcome, code, count(*)::int as n from changed group by outcome, code)
     update universal_transactions j
        set metadata = j.metadata || jsonb_build_object(
              'done', coalesce((j.metadata->>'done')::int, 0) + coalesce((select sum(n) from tallied where outcome = 'done'), 0)::int,
              'skipped', ${mergedCodes('skipped')},
              'failed', ${mergedCodes('failed')}),
            updated_by = $4, updated_at = now()
      where j.organization_id = $1 and j.id = $2
     returning ${countsSql.replace(/metadata/g, 'j.metadata')} as counts`,
    [org, jobId, JSON.stringify(outcomes), actorId],
  );
  return rows[0].counts;
}

/** Ends the job with `status` (once: a finished job stays as it ended); answers its counts and the org's next queued job. */
export async function finishBulkJob(sql: Sql, org: string, jobId: string, status: BulkStatus, now: string, actorId: string) {
  await sql.query(
    `update universal_transactions
        set transaction_status = $3, metadata = metadata || jsonb_build_object('finished_at', $4::text), updated_by = $5, updated_at = now()
      where organization_id = $1 and id = $2 and transaction_status in ('queued', 'running')`,
    [org, jobId, status, now, actorId],
  );
  const { rows } = await sql.query<{ counts: BulkCounts }>(`select ${countsSql} as counts from universal_transactions where organization_id = $1 and id = $2`, [org, jobId]);
  const next = await sql.query<{ id: string }>(
    `select id from universal_transactions
      where organization_id = $1 and transaction_type = $2 and transaction_status in ('queued', 'running')
      order by created_at, id limit 1`,
    [org, transactionTypes.bulkJob],
  );
  // No record: the job failed before it could write one.
  return { counts: rows[0]?.counts ?? { matched: 0, done: 0, skipped: {}, failed: {} }, nextJobId: next.rows[0]?.id ?? null };
}

/** The organization's jobs, newest first, one keyset page. */
export function listBulkJobs(sql: Sql, org: string, filter: { status?: string; operation?: string }, limit: number, after: KeysetPosition | null) {
  const filters: Array<[string, unknown]> = [];
  if (filter.status !== undefined) filters.push(['status = ?', filter.status]);
  if (filter.operation !== undefined) filters.push(['operation = ?', filter.operation]);
  return keysetPage<BulkJobRow & Record<string, unknown>>(sql, {
    view: 'wf_bulk_jobs_view',
    columns: jobColumns,
    idColumn: 'job_id',
    sortColumn: 'created_at',
    sortType: 'timestamptz',
    direction: 'desc',
    organizationId: org,
    filters,
    limit,
    after,
  });
}

/** A job's items in line order, optionally of one outcome, one keyset page. */
export function listBulkItems(sql: Sql, org: string, jobId: string, outcome: string | undefined, limit: number, after: KeysetPosition | null) {
  const filters: Array<[string, unknown]> = [['job_id = ?::uuid', jobId]];
  if (outcome !== undefined) filters.push(['outcome = ?', outcome]);
  return keysetPage<BulkItemRow & Record<string, unknown>>(sql, {
    view: 'wf_bulk_items_view',
    columns: itemColumns,
    idColumn: 'item_id',
    sortColumn: 'line_number',
    sortType: 'int',
    direction: 'asc',
    organizationId: org,
    filters,
    limit,
    after,
  });
}

/** A job's first `limit` failed items, in line order. */
export async function bulkErrors(sql: Sql, org: string, jobId: string, limit: number) {
  const { rows } = await sql.query<{ instance_id: string; code: string | null; message: string | null }>(
    `select instance_id, code, message from wf_bulk_items_view
      where organization_id = $1 and job_id = $2 and outcome = 'failed' order by line_number limit $3`,
    [org, jobId, limit],
  );
  return rows;
}

/**
 * What a dry run of a selection by filter or ids would meet, counted in SQL: how many instances it selects (at
 * most `max`), the first `sampleSize` of them, and how many the operation would skip, by the refusal's code.
 * `wouldSkip` is an operation's SQL expression over `wf_instances_view v` (null = it would act), written in code
 * with `?` for each of its bound values.
 */
export async function bulkDryRun(
  sql: Sql,
  org: string,
  selection: Exclude<BulkSelection, { failed_of: string }>,
  wouldSkip: { sql: string; values: unknown[] },
  max: number | null,
  sampleSize: number,
) {
  const conditions = 'filter' in selection ? instanceFilterConditions(selection.filter) : [['instance_id = any(?::uuid[])', selection.instance_ids] as [string, unknown]];
  const params: unknown[] = [org];
  const bind = (text: string, values: unknown[]) => {
    let at = 0;
    return text.replace(/\?/g, () => {
      params.push(values[at++]);
      return `$${params.length}`;
    });
  };
  const code = bind(wouldSkip.sql, wouldSkip.values);
  const where = ['organization_id = $1', ...conditions.map(([condition, value]) => bind(condition, [value]))];
  params.push(max);
  const selected = `select instance_id, (${code}) as code from wf_instances_view v
                     where ${where.join(' and ')} order by created_at, instance_id limit $${params.length}`;
  const counted = await sql.query<{ code: string | null; n: number }>(`select code, count(*)::int as n from (${selected}) s group by code`, params);
  params.push(sampleSize);
  const sample = await sql.query<{ instance_id: string }>(`select instance_id from (${selected}) s limit $${params.length}`, params);
  return {
    matched: counted.rows.reduce((sum, r) => sum + r.n, 0),
    sample: sample.rows.map((r) => r.instance_id),
    would_skip: Object.fromEntries(counted.rows.filter((r) => r.code !== null).map((r) => [r.code, r.n])),
  };
}
