import { pinCalendar } from '../calendars/pin';
import type { Db } from '../db/pool';
import { insertAuditEvent, type AuditEvent } from '../db/queries/audit';
import { systemActorId } from '../db/queries/codes';
import { findUser, missingTeams, usersWithRole } from '../db/queries/directory';
import { clearFailedEffect, failedEffectsOf, insertNotification, updateEffect, type FailedEffect } from '../db/queries/effects';
import { insertStepLine, patchInstanceHeader } from '../db/queries/instances';
import { insertTask, insertTimers, moveTimer, rewriteTimerFireAt, saveTask } from '../db/queries/timersAndTasks';
import type { NewNotification } from '../domain/notification';
import type { TaskRecord } from '../domain/task';
import type { TimerRecord } from '../domain/timer';
import { Refusal } from '../errors';
import type { PinnedCalendar, PinnedCalendars } from '../workflows/messages';
import type { OrgScoped, StepNote } from './timersAndTasks';

/** An operator command's step note (PAUSE, RESUME, REASSIGN, SLA_RECALC, EFFECT_RETRY, TASK_REASSIGN, CANCEL, MOVE, MIGRATE) and its changes. */
export interface AdminChange extends Omit<StepNote, 'effects'> {
  headerPatch: Record<string, unknown>;
  status: string;
  timersRewritten: Array<{ timer_id: string; fire_at: string }>;
  tasksUpdated: TaskRecord[];
  /** A cancel, move or migration: PENDING timers cancelled (with why), the timers and tasks of a state entered. */
  timersCancelled?: string[];
  cancelReason?: string | null;
  timersSet?: TimerRecord[];
  tasksCreated?: TaskRecord[];
  /** Outbox notices written with the change (the sweep's SLA notices); their keys make a repeat a no-op. */
  notifications?: NewNotification[];
  /** Set for commands that came as signals: the API audits its own calls. */
  audit: AuditEvent | null;
}

/** Activities of the operator commands: each change is one transaction with its step note (and audit). */
export function adminActivities(db: Db) {
  const currentCalendars = (organizationId: string, codes: string[]) =>
    db.withOrg(organizationId, async (sql) => {
      const pinned: PinnedCalendars = {};
      for (const code of codes) {
        try {
          pinned[code] = await pinCalendar(sql, organizationId, code, Date.now(), 'calendar');
        } catch (error) {
          if (!(error instanceof Refusal)) throw error;
        }
      }
      return pinned;
    });
  return {
    async recordAdminChange(change: AdminChange): Promise<void> {
      const org = change.organizationId;
      await db.withOrg(org, async (sql) => {
        await insertStepLine(sql, { ...change, createdAt: change.at });
        await patchInstanceHeader(sql, org, change.instanceId, change.headerPatch, change.status, change.at, change.actorUserId);
        for (const timer of change.timersRewritten) await rewriteTimerFireAt(sql, org, timer.timer_id, timer.fire_at, change.actorUserId);
        for (const timerId of change.timersCancelled ?? []) {
          await moveTimer(sql, org, timerId, ['PENDING', 'CANCELLED'], 'CANCELLED', { cancelled_at: change.at, reason: change.cancelReason ?? null }, change.actorUserId);
        }
        await insertTimers(sql, org, change.timersSet ?? [], change.at, change.actorUserId);
        for (const task of change.tasksCreated ?? []) await insertTask(sql, org, task, change.actorUserId);
        for (const task of change.tasksUpdated) await saveTask(sql, org, task, change.actorUserId);
        for (const notice of change.notifications ?? []) await insertNotification(sql, org, notice, change.actorUserId);
        if (change.audit) await insertAuditEvent(sql, org, change.audit);
      });
    },

    /** An operator command refused inside the workflow (signals cannot answer, so the audit says why). */
    async recordAudit({ organizationId, event }: OrgScoped & { event: AuditEvent }): Promise<void> {
      await db.withOrg(organizationId, (sql) => insertAuditEvent(sql, organizationId, event));
    },

    /** The current versions of calendars as an instance pins them (an SLA recalculation re-pins); a code no longer stored is left out. */
    pinCurrentCalendars({ organizationId, codes }: OrgScoped & { codes: string[] }): Promise<PinnedCalendars> {
      return currentCalendars(organizationId, codes);
    },

    /** The SLA's calendar at its current version; null when there is none. */
    async pinCurrentCalendar({ organizationId, code }: OrgScoped & { code: string }): Promise<PinnedCalendar | null> {
      return (await currentCalendars(organizationId, [code]))[code] ?? null;
    },

    /** Whether the organization's directory has this team, user, or a holder of this role. */
    async directoryHas({ organizationId, team, userId, role }: OrgScoped & { team?: string; userId?: string; role?: string }): Promise<boolean> {
      return db.withOrg(organizationId, async (sql) => {
        if (team !== undefined) return (await missingTeams(sql, organizationId, [team])).length === 0;
        if (userId !== undefined) return (await findUser(sql, organizationId, userId)) !== undefined;
        if (role !== undefined) return (await usersWithRole(sql, organizationId, role)).length > 0;
        return false;
      });
    },

    async failedEffects({ organizationId, stepId }: OrgScoped & { stepId: string }): Promise<FailedEffect[]> {
      return db.withOrg(organizationId, (sql) => failedEffectsOf(sql, organizationId, stepId));
    },

    /** A permanently failed effect goes back to PENDING for a retry, keeping its id (and so its idempotency key). */
    async reopenEffect({ organizationId, effectId }: OrgScoped & { effectId: string }): Promise<void> {
      await db.withOrg(organizationId, (sql) => updateEffect(sql, organizationId, effectId, 'PENDING', {}, systemActorId));
    },

    async clearFailedEffect({ organizationId, stepId, code }: OrgScoped & { stepId: string; code: string }): Promise<void> {
      await db.withOrg(organizationId, (sql) => clearFailedEffect(sql, organizationId, stepId, code, systemActorId));
    },
  };
}
