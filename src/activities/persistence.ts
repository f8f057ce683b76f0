import type { Db } from '../db/pool';
import { insertEffects, type NewEffect } from '../db/queries/effects';
import { insertInstanceHeader, insertStepLine, patchInstanceHeader } from '../db/queries/instances';
import { insertTask, insertTimers, moveTimer } from '../db/queries/timersAndTasks';
import { evaluateGuard, type GuardOutcome } from '../definitions/guards';
import type { WorkflowDefinition } from '../definitions/schema';
import type { TaskRecord } from '../domain/task';
import type { TimerRecord } from '../domain/timer';
import type { InstanceSnapshot, InstanceStatus } from '../workflows/messages';

export interface CreateInstanceRecord {
  snapshot: InstanceSnapshot;
  stepId: string;
  actorUserId: string;
  actorRole: string | null;
  correlationId: string | null;
  requestHash: string;
  /** Timers and tasks of the initial state. */
  timersSet: TimerRecord[];
  tasksCreated: TaskRecord[];
  /** The SLA's length and when its first level falls due (the sweep selects instances by it). */
  sla?: { duration_ms: number | null; check_at: string | null };
}

type GuardRef = WorkflowDefinition['transitions'][number]['guards'][number];

export interface TransitionRecord {
  organizationId: string;
  instanceId: string;
  guards: GuardRef[];
  context: Record<string, unknown>;
  stepId: string;
  lineNumber: number;
  at: string;
  actorUserId: string;
  lineData: Record<string, unknown>;
  headerPatch: Record<string, unknown>;
  status: InstanceStatus;
  effects: NewEffect[];
  /** PENDING timers of the state left, and the timers and tasks of the state entered: atomic with the move. */
  timersCancelled: string[];
  timersSet: TimerRecord[];
  tasksCreated: TaskRecord[];
}

export interface TransitionOutcome {
  guards: GuardOutcome[];
  /** False when a guard failed: nothing was written. */
  applied: boolean;
}

/** Activities that persist an instance to the six tables; each is idempotent under retry. */
export function persistenceActivities(db: Db) {
  return {
    /** Writes the WF_INSTANCE header and its first step line (the initial state entered) in one transaction. */
    async createInstanceRecord(record: CreateInstanceRecord): Promise<void> {
      const { snapshot, actorUserId } = record;
      await db.withOrg(snapshot.organization_id, async (sql) => {
        await insertInstanceHeader(sql, {
          instanceId: snapshot.instance_id,
          organizationId: snapshot.organization_id,
          createdAt: snapshot.created_at,
          actorUserId,
          status: snapshot.status,
          metadata: {
            definition_code: snapshot.definition_code,
            definition_version: snapshot.definition_version,
            current_state: snapshot.current_state,
            subject_ref: snapshot.subject_ref,
            context: snapshot.context,
            paused: snapshot.paused,
            owner_team: snapshot.owner_team,
            owner_user_id: snapshot.owner_user_id,
            sla_at: snapshot.sla_at,
            sla_warning_level: 0,
            sla_escalation_level: 0,
            sla_duration_ms: record.sla?.duration_ms ?? null,
            sla_check_at: record.sla?.check_at ?? null,
            ...(snapshot.sla_calendar
              ? { sla_calendar: snapshot.sla_calendar, sla_calendar_version: snapshot.sla_calendar_version, sla_warnings_at: snapshot.sla_warnings_at }
              : {}),
            correlation_id: record.correlationId,
            start_request_hash: record.requestHash,
          },
        });
        await insertStepLine(sql, {
          stepId: record.stepId,
          instanceId: snapshot.instance_id,
          organizationId: snapshot.organization_id,
          lineNumber: 1,
          actorUserId,
          createdAt: snapshot.created_at,
          lineData: {
            from: null,
            to: snapshot.current_state,
            by: record.actorRole,
            actor_user_id: actorUserId,
            note: 'START',
            effects_failed: [],
            guards_executed: [],
            effects_queued: [],
            duration_ms: 0,
            correlation_id: record.correlationId,
            timestamp: snapshot.created_at,
          },
        });
        await insertTimers(sql, snapshot.organization_id, record.timersSet, snapshot.created_at, actorUserId);
        for (const task of record.tasksCreated) await insertTask(sql, snapshot.organization_id, task, actorUserId);
      });
    },

    /**
     * Runs the transition's guards in order over the instance context; when all pass, writes the step line,
     * the header's new state and the PENDING effect records in one transaction.
     */
    async applyTransition(record: TransitionRecord): Promise<TransitionOutcome> {
      const guards: GuardOutcome[] = [];
      for (const guard of record.guards) {
        const outcome = evaluateGuard(guard, record.context);
        guards.push(outcome);
        if (!outcome.passed) return { guards, applied: false };
      }
      await db.withOrg(record.organizationId, async (sql) => {
        await insertStepLine(sql, {
          stepId: record.stepId,
          instanceId: record.instanceId,
          organizationId: record.organizationId,
          lineNumber: record.lineNumber,
          actorUserId: record.actorUserId,
          createdAt: record.at,
          lineData: record.lineData,
        });
        await patchInstanceHeader(sql, record.organizationId, record.instanceId, record.headerPatch, record.status, record.at, record.actorUserId);
        await insertEffects(sql, record.organizationId, record.effects, record.at, record.actorUserId);
        for (const timerId of record.timersCancelled) {
          await moveTimer(sql, record.organizationId, timerId, 'PENDING', 'CANCELLED', { cancelled_at: record.at, reason: 'state exited' }, record.actorUserId);
        }
        await insertTimers(sql, record.organizationId, record.timersSet, record.at, record.actorUserId);
        for (const task of record.tasksCreated) await insertTask(sql, record.organizationId, task, record.actorUserId);
      });
      return { guards, applied: true };
    },
  };
}
