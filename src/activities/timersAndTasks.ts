import type { Db } from '../db/pool';
import { systemActorId } from '../db/queries/codes';
import { findUser } from '../db/queries/directory';
import { insertEffects, insertNotification, type NewEffect } from '../db/queries/effects';
import { insertStepLine } from '../db/queries/instances';
import { insertTask, insertTimers, moveTimer, saveTask } from '../db/queries/timersAndTasks';
import type { NewNotification } from '../domain/notification';
import type { TaskRecord } from '../domain/task';
import type { TimerRecord } from '../domain/timer';

export interface OrgScoped {
  organizationId: string;
}

export interface StepNote extends OrgScoped {
  instanceId: string;
  stepId: string;
  lineNumber: number;
  at: string;
  actorUserId: string;
  lineData: Record<string, unknown>;
  effects: NewEffect[];
}

/** Activities for timers and tasks; the instance workflow decides, these persist. */
export function timerAndTaskActivities(db: Db) {
  return {
    async recordTimers({ organizationId, timers, actorUserId }: OrgScoped & { timers: TimerRecord[]; actorUserId: string }) {
      await db.withOrg(organizationId, (sql) => insertTimers(sql, organizationId, timers, new Date().toISOString(), actorUserId));
    },

    /**
     * PENDING → `to` (FIRING before a timer's action, CANCELLED); false when the timer was no longer PENDING. A
     * retry of this activity after its commit finds the timer already in `to` and still answers true: only the
     * instance workflow moves its timers, so that state is its own.
     */
    async moveTimerFromPending({ organizationId, timerId, to, patch }: OrgScoped & { timerId: string; to: 'FIRING' | 'CANCELLED'; patch: Record<string, unknown> }) {
      return db.withOrg(organizationId, (sql) => moveTimer(sql, organizationId, timerId, ['PENDING', to], to, patch, systemActorId));
    },

    /** FIRING → FIRED or FAILED once the timer's action ran. */
    async settleTimer({ organizationId, timerId, status, patch }: OrgScoped & { timerId: string; status: 'FIRED' | 'FAILED'; patch: Record<string, unknown> }) {
      await db.withOrg(organizationId, (sql) => moveTimer(sql, organizationId, timerId, 'FIRING', status, patch, systemActorId));
    },

    async saveTasks({ organizationId, created, updated, actorUserId, notifications = [] }: OrgScoped & { created: TaskRecord[]; updated: TaskRecord[]; actorUserId: string; notifications?: NewNotification[] }) {
      await db.withOrg(organizationId, async (sql) => {
        for (const task of created) await insertTask(sql, organizationId, task, actorUserId);
        for (const task of updated) await saveTask(sql, organizationId, task, actorUserId);
        for (const notice of notifications) await insertNotification(sql, organizationId, notice, actorUserId);
      });
    },

    /** The directory manager of `userId`, if the user and a manager are known. */
    async managerOf({ organizationId, userId }: OrgScoped & { userId: string }): Promise<string | null> {
      const user = await db.withOrg(organizationId, (sql) => findUser(sql, organizationId, userId));
      return user?.manager_user_id ?? null;
    },

    /** A step line that is not a transition (e.g. a timer's effect), with the effects it queues. */
    async recordStepNote(note: StepNote) {
      await db.withOrg(note.organizationId, async (sql) => {
        await insertStepLine(sql, { ...note, createdAt: note.at });
        await insertEffects(sql, note.organizationId, note.effects, note.at, note.actorUserId);
      });
    },
  };
}
