import type { Db } from '../db/pool';
import { insertInstanceHeader, insertStepLine } from '../db/queries/instances';
import type { InstanceSnapshot } from '../workflows/messages';

export interface CreateInstanceRecord {
  snapshot: InstanceSnapshot;
  actorUserId: string;
  actorRole: string | null;
  correlationId: string | null;
}

/** Activities that persist an instance to the six tables; each is idempotent under retry. */
export function persistenceActivities(db: Db) {
  return {
    /** Writes the WF_INSTANCE header and its first step line (the initial state entered) in one transaction. */
    async createInstanceRecord({ snapshot, actorUserId, actorRole, correlationId }: CreateInstanceRecord): Promise<void> {
      await db.withOrg(snapshot.organization_id, async (sql) => {
        await insertInstanceHeader(sql, {
          instanceId: snapshot.instance_id,
          organizationId: snapshot.organization_id,
          createdAt: snapshot.created_at,
          actorUserId,
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
            correlation_id: correlationId,
          },
        });
        await insertStepLine(sql, {
          instanceId: snapshot.instance_id,
          organizationId: snapshot.organization_id,
          lineNumber: 1,
          actorUserId,
          createdAt: snapshot.created_at,
          lineData: {
            from: null,
            to: snapshot.current_state,
            by: actorRole,
            actor_user_id: actorUserId,
            note: 'START',
            effects_failed: [],
            guards_executed: [],
            effects_queued: [],
            duration_ms: 0,
            timestamp: snapshot.created_at,
          },
        });
      });
    },
  };
}
