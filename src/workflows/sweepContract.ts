import type { KeysetPosition } from '../db/queries/keyset';

/*
 * The sweep's contract, shared by its workflow, its activities, the schedule and the run procedure: a leaf
 * module, so none of them imports another's implementation.
 */

export interface SweepInput {
  trigger: 'schedule' | 'api';
  /** Count what would change and change nothing. */
  dry_run?: boolean;
  /** Only these organizations (an API run always names its caller's); absent = every organization. */
  organization_filter?: string[] | null;
  /** Evaluate as if it were this moment (ISO-8601); absent = the run's own time. */
  as_of?: string;
  /** Stop looking at instances' SLAs past this many in one run (the next run goes on). */
  max_instances_per_run?: number;
  /** Continue as new past this many history events (default 10,000). */
  history_limit?: number;
  /** Set when a long run continues as new: where it was and what it counted. */
  progress?: SweepProgress;
}

export interface SweepProgress {
  startedMs: number;
  asOf: string;
  organizationsSwept: number;
  remaining: string[];
  /** The organization in hand, the index of its job in `jobs`, and where that job's next batch starts. */
  position: { organizationId: string; job: number; after: BatchRequest['after'] } | null;
  totals: Record<string, number>;
  skipped: Record<string, number>;
  errors: number;
  instancesSeen: number;
}

/** The run's answer and record (background §5 names, plus the breakdown an operator needs). */
export interface SweepReport {
  scheduler_run_id: string;
  workflow_id: string;
  trigger: SweepInput['trigger'];
  dry_run: boolean;
  as_of: string;
  organizations_swept: number;
  instances_processed: number;
  instances_warned: number;
  instances_escalated: number;
  timers_processed: number;
  timers_fired: number;
  tasks_processed: number;
  tasks_escalated: number;
  notifications_sent: number;
  /** Items left alone and why (NOTHING_DUE when another run got there first, INSTANCE_PAUSED, …). */
  skipped: Record<string, number>;
  errors: number;
  started_at: string;
  run_duration_ms: number;
}

export type SweepJob = 'sla' | 'timers' | 'tasks';

export interface BatchRequest {
  job: SweepJob;
  organizationId: string;
  asOf: string;
  dryRun: boolean;
  limit: number;
  after: KeysetPosition | null;
}

export interface BatchResult {
  selected: number;
  /** What changed (or would change, on a dry run): warned, escalated, fired, tasks_escalated, notifications. */
  changed: Record<string, number>;
  skipped: Record<string, number>;
  errors: number;
  next: KeysetPosition | null;
}

/** Adds counts by key (changes, skips by code) into a running total. */
export function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [key, n] of Object.entries(from)) into[key] = (into[key] ?? 0) + n;
}
