import { proxyActivities } from '@temporalio/workflow';
import type { HeraActivities } from '../activities';
import type { OrgChange } from '../activities/records';
import type { CalendarChange } from '../calendars/schema';
import type { UserChange } from '../db/queries/directory';

/** Organization records outside any instance (directory, definitions, calendars, webhook secret): one short workflow per change. */
const records = proxyActivities<Pick<HeraActivities, 'putTeam' | 'putUser' | 'registerDefinition' | 'putCalendar' | 'rotateWebhookSecret' | 'reconcileInstance'>>({
  // One short transaction: a worker that died mid-attempt holds the request 5 s, not longer.
  startToCloseTimeout: '5s',
  // Bounded: an API request waits for this workflow, so a lasting failure must surface, not hang.
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 5 },
});

export function putTeamWorkflow(change: OrgChange<{ code: string; name: string }>) {
  return records.putTeam(change);
}

export function putUserWorkflow(change: OrgChange<UserChange>) {
  return records.putUser(change);
}

export function registerDefinitionWorkflow(change: OrgChange<{ code: string; version: number } & Record<string, unknown>>) {
  return records.registerDefinition(change);
}

/** Stores a calendar's next version unless the body is its current one. */
export function putCalendarWorkflow(change: OrgChange<CalendarChange>) {
  return records.putCalendar(change);
}

export function rotateWebhookSecretWorkflow(change: OrgChange<Record<string, never>>) {
  return records.rotateWebhookSecret(change);
}

export function reconcileInstanceWorkflow(change: OrgChange<{ instanceId: string; reconciled: Record<string, unknown> }>) {
  return records.reconcileInstance(change);
}
