import { ApplicationFailure } from '@temporalio/common';
import type { AuditEvent } from '../../../src/db/queries/audit';
import type { FailedEffect } from '../../../src/db/queries/effects';
import { evaluateGuard } from '../../../src/definitions/guards';
import type { InstanceActivities } from '../../../src/workflows/instance/context';

export interface Call {
  name: keyof InstanceActivities;
  instanceId: string | null;
  args: Record<string, unknown>;
}

export interface Directory {
  teams?: string[];
  users?: string[];
  roles?: string[];
  /** user id → manager's user id */
  managers?: Record<string, string>;
}

/** A task the stand-in's database refuses for good, as PostgreSQL refuses a value it cannot store. */
export const refusedTitle = 'refused by the database';

/**
 * The instance workflow's activities in memory: every call recorded, timers' status kept so the guarded
 * PENDING → FIRING move behaves as in the database, guards evaluated as the persistence activity does, and
 * effects given `{ fail: true }` and tasks titled `refusedTitle` (or operator notes with it as reason) failing for good.
 */
export function memoryActivities(directory: Directory = {}) {
  const calls: Call[] = [];
  const timerStatus = new Map<string, string>();
  const audit: AuditEvent[] = [];
  const failed: Array<FailedEffect & { step_id: string }> = [];
  const effectRuns = new Map<string, { instanceId: string; params: Record<string, unknown> }>();
  const record = (name: keyof InstanceActivities, args: object, instanceId: unknown = (args as { instanceId?: string }).instanceId) =>
    void calls.push({ name, instanceId: typeof instanceId === 'string' ? instanceId : null, args: args as Record<string, unknown> });

  const activities: InstanceActivities = {
    async createInstanceRecord(r) {
      record('createInstanceRecord', r, r.snapshot.instance_id);
      for (const t of r.timersSet) timerStatus.set(t.timer_id, 'PENDING');
    },
    async applyTransition(r) {
      const guards = r.guards.map((g) => evaluateGuard(g, r.context));
      const applied = guards.every((g) => g.passed);
      record('applyTransition', { ...r, applied });
      // A transition asked to be slow, as a database under load or a worker dying mid-commit would make it.
      if ((r.lineData.payload as { slow_ms?: number } | undefined)?.slow_ms) await new Promise((resolve) => setTimeout(resolve, (r.lineData.payload as { slow_ms: number }).slow_ms));
      if (!applied) return { guards, applied };
      for (const id of r.timersCancelled) timerStatus.set(id, 'CANCELLED');
      for (const t of r.timersSet) timerStatus.set(t.timer_id, 'PENDING');
      return { guards, applied };
    },
    async recordStepNote(n) {
      record('recordStepNote', n);
    },
    async recordAdminChange(c) {
      record('recordAdminChange', c);
      if (c.lineData.reason === refusedTitle) throw ApplicationFailure.nonRetryable('the database refused the change', 'PERSISTENCE_REJECTED');
      if (c.audit) audit.push(c.audit);
      for (const t of c.timersRewritten) if (!timerStatus.has(t.timer_id)) throw new Error(`rewrote an unknown timer ${t.timer_id}`);
      for (const id of c.timersCancelled ?? []) timerStatus.set(id, 'CANCELLED');
      for (const t of c.timersSet ?? []) timerStatus.set(t.timer_id, 'PENDING');
    },
    async recordAudit({ event }) {
      audit.push(event);
    },
    async recordTimers(r) {
      record('recordTimers', r, r.timers[0]?.instance_id);
      for (const t of r.timers) timerStatus.set(t.timer_id, 'PENDING');
    },
    async moveTimerFromPending(r) {
      record('moveTimerFromPending', r, null);
      if (timerStatus.get(r.timerId) !== 'PENDING') return false;
      timerStatus.set(r.timerId, r.to);
      return true;
    },
    async settleTimer(r) {
      record('settleTimer', r, null);
      timerStatus.set(r.timerId, r.status);
    },
    async saveTasks(r) {
      record('saveTasks', r, [...r.created, ...r.updated][0]?.instance_id);
      if (r.created.some((t) => t.title === refusedTitle)) throw ApplicationFailure.nonRetryable('the database refused the change', 'PERSISTENCE_REJECTED');
    },
    async managerOf({ userId }) {
      return directory.managers?.[userId] ?? null;
    },
    async directoryHas({ team, userId, role }) {
      if (team !== undefined) return directory.teams?.includes(team) ?? false;
      if (userId !== undefined) return directory.users?.includes(userId) ?? false;
      return role !== undefined && (directory.roles?.includes(role) ?? false);
    },
    // The workflow tier's definitions count their SLAs in wall-clock hours: there is no calendar to re-pin.
    async pinCurrentCalendar() {
      return null;
    },
    async pinCurrentCalendars() {
      return {};
    },
    async executeEffect(run) {
      record('executeEffect', run);
      if (!effectRuns.has(run.effectId)) effectRuns.set(run.effectId, { instanceId: run.instanceId, params: run.params });
      if (run.params.fail === true) throw ApplicationFailure.nonRetryable(`effect ${run.code} is down`);
    },
    async settleFailedEffect(r) {
      record('settleFailedEffect', r, null);
      const { instanceId, params } = effectRuns.get(r.effectId)!;
      failed.push({ effect_id: r.effectId, instance_id: instanceId, effect_smart_code: r.code, params, step_id: r.stepId });
    },
    async failedEffects({ stepId }) {
      return failed.filter((f) => f.step_id === stepId);
    },
    async reopenEffect(r) {
      record('reopenEffect', r, null);
    },
    async clearFailedEffect({ stepId, code }) {
      failed.splice(failed.findIndex((f) => f.step_id === stepId && f.effect_smart_code === code), 1);
    },
  };

  return {
    activities,
    calls,
    timerStatus,
    audit,
    /** This instance's calls of one activity, in order. */
    callsOf: (instanceId: string, name: keyof InstanceActivities) => calls.filter((c) => c.instanceId === instanceId && c.name === name).map((c) => c.args),
  };
}

export type MemoryActivities = ReturnType<typeof memoryActivities>;
