import { ApplicationFailure } from '@temporalio/activity';
import type { CalendarChange } from '../calendars/schema';
import type { Db } from '../db/pool';
import { storeCalendarVersion, type StoredCalendar } from '../db/queries/calendars';
import { findUser, missingTeams, replaceUser, upsertTeam, type TeamRow, type UserChange, type UserRow } from '../db/queries/directory';
import { storeDefinitionVersion, type StoreOutcome } from '../db/queries/definitions';
import { markInstanceEnded } from '../db/queries/instances';
import { rotateWebhookSigning } from '../db/queries/webhookSigning';

export interface OrgChange<T> {
  organizationId: string;
  actorUserId: string;
  change: T;
}

/** Activities for organization records outside any running instance: the directory, definitions, calendars, the webhook secret, reconciliation. */
export function recordActivities(db: Db) {
  return {
    async putTeam({ organizationId, actorUserId, change }: OrgChange<{ code: string; name: string }>): Promise<TeamRow> {
      return db.withOrg(organizationId, (sql) => upsertTeam(sql, organizationId, change.code, change.name, actorUserId));
    },

    async putUser({ organizationId, actorUserId, change }: OrgChange<UserChange>): Promise<UserRow> {
      return db.withOrg(organizationId, async (sql) => {
        const missing = await missingTeams(sql, organizationId, change.teams);
        if (missing.length) {
          throw ApplicationFailure.nonRetryable(`unknown teams: ${missing.join(', ')}`, 'TEAM_NOT_FOUND', { teams: missing });
        }
        if (change.managerUserId && !(await findUser(sql, organizationId, change.managerUserId))) {
          throw ApplicationFailure.nonRetryable('the manager is not a user of this organization', 'USER_NOT_FOUND', {
            manager_user_id: change.managerUserId,
          });
        }
        if (!(await replaceUser(sql, organizationId, change, actorUserId))) {
          throw ApplicationFailure.nonRetryable('this id belongs to another record', 'USER_ID_CONFLICT', { user_id: change.userId });
        }
        return (await findUser(sql, organizationId, change.userId))!;
      });
    },

    async registerDefinition({
      organizationId,
      actorUserId,
      change,
    }: OrgChange<{ code: string; version: number } & Record<string, unknown>>): Promise<StoreOutcome> {
      return db.withOrg(organizationId, (sql) => storeDefinitionVersion(sql, organizationId, change, actorUserId));
    },

    async putCalendar({ organizationId, actorUserId, change }: OrgChange<CalendarChange>): Promise<StoredCalendar> {
      return db.withOrg(organizationId, (sql) => storeCalendarVersion(sql, organizationId, change, actorUserId));
    },

    /** An instance whose workflow ended without finishing it: its row says so (`failed`, with what Temporal said). */
    async reconcileInstance({ organizationId, actorUserId, change }: OrgChange<{ instanceId: string; reconciled: Record<string, unknown> }>): Promise<boolean> {
      return db.withOrg(organizationId, (sql) => markInstanceEnded(sql, organizationId, change.instanceId, change.reconciled, actorUserId));
    },

    /** Answers only the time: an activity's result is kept in the workflow's history, the secret must not be. */
    async rotateWebhookSecret({ organizationId, actorUserId }: OrgChange<Record<string, never>>): Promise<{ rotated_at: string }> {
      return db.withOrg(organizationId, (sql) => rotateWebhookSigning(sql, organizationId, actorUserId));
    },
  };
}
