import { checkNames, type CheckResult } from './checks';
import type { ClientStats } from './client';
import type { FaultCounts } from './faults';
import type { LoadResult } from './load';
import type { ProcessExit } from './processes';

export interface SummaryInput {
  seed: number;
  short: boolean;
  instances: number;
  durationMs: number;
  /** From the first request to the last client's end, faults included. */
  loadMs: number;
  load: LoadResult;
  stats: ClientStats;
  faults: FaultCounts;
  restarts: Record<string, number>;
  exits: ProcessExit[];
  quiet: { quiet: boolean; waitedMs: number };
  checks: CheckResult;
  webhookCalls: number;
  webhooksFailedFirstOnPurpose: number;
}

/** Findings kept in the printed summary (all of them go to stderr). */
const findingsShown = 40;

/**
 * The run's one JSON summary. `zero` holds every count that must be 0 — losses, duplicates, client requests that
 * failed after their retries, 500 answers (the README promises 503 for transient faults), crashes — and `ok` is
 * true only when all of them are.
 */
export function summarize(input: SummaryInput) {
  const { checks, stats } = input;
  const byCheck = Object.fromEntries(checkNames.map((name) => [name, checks.findings.filter((f) => f.check === name).length]));
  const crashes = input.exits.filter((e) => !e.expected);
  const zero = {
    ...byCheck,
    client_requests_failed: stats.failures.length,
    clients_stopped: input.load.stopped.length,
    answers_500: stats.answers['500 INTERNAL'] ?? 0,
    crashes: crashes.length,
    not_quiet: input.quiet.quiet ? 0 : 1,
  };
  return {
    ok: Object.values(zero).every((n) => n === 0),
    seed: input.seed,
    mode: input.short ? 'short' : 'full',
    duration_s: Math.round(input.durationMs / 100) / 10,
    load_s: Math.round(input.loadMs / 100) / 10,
    instances: {
      requested: input.instances,
      started: input.load.instanceIds.size,
      driven_to_final: input.load.driven,
      in_database: checks.instancesInDatabase,
      final: checks.instancesFinal,
    },
    faults: { ...input.faults, restarts: input.restarts },
    process_exits: { caused: input.exits.length - crashes.length, crashes: crashes.length },
    requests: {
      logical: stats.requests,
      attempts: stats.attempts,
      retries: stats.retries,
      answers_retried_or_failed: stats.answers,
      attempts_over_10s: stats.slowAttempts,
      slowest_attempt_ms: stats.slowestAttemptMs,
    },
    effects: {
      webhook: checks.webhookEffects,
      notify: checks.notifyEffects,
      webhook_calls: input.webhookCalls,
      webhooks_failed_first_on_purpose: input.webhooksFailedFirstOnPurpose,
      webhooks_delivered_more_than_once: checks.webhooksDeliveredMoreThanOnce,
    },
    quiet_after_ms: input.quiet.waitedMs,
    zero,
    findings: checks.findings.slice(0, findingsShown),
    findings_total: checks.findings.length,
    client_failures: stats.failures.slice(0, findingsShown).map((f) => ({ ...f, history: f.history.slice(-5) })),
    clients_stopped: input.load.stopped.slice(0, findingsShown),
    answer_examples: stats.examples,
    crashes: crashes.map((c) => ({ name: c.name, pid: c.pid, code: c.code, signal: c.signal, at: c.at, log_tail: c.logTail?.slice(-600) })),
  };
}
