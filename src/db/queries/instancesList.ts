import type { Sql } from '../pool';
import { keysetPage, type KeysetPosition } from './keyset';

export interface InstanceRow {
  instance_id: string;
  definition_code: string;
  definition_version: number;
  current_state: string;
  subject_ref: unknown;
  sla_at: Date | null;
  paused: boolean;
  owner_team: string | null;
  owner_user_id: string | null;
  status: string;
  created_at: Date;
  updated_at: Date;
  sla_escalation_level: number;
  /** Its permanently failed effects (a retry that succeeds takes one off). */
  failed_effects: number;
  paused_at: Date | null;
  /** The SLA's business calendar and the version the instance pinned; null on wall-clock time. */
  sla_calendar: string | null;
  sla_calendar_version: number | null;
}

export interface InstanceFilter {
  definitionCode?: string;
  currentState?: string;
  ownerTeam?: string;
  ownerUserId?: string;
  paused?: boolean;
  /** Active instances past their SLA at `now`. */
  overdueAt?: string;
  createdAfter?: string;
  createdBefore?: string;
  /** With (true) or without (false) permanently failed effects. */
  hasFailedEffects?: boolean;
  /** At least this SLA escalation level (1 at the deadline, 2 and 3 later). */
  slaLevelMin?: number;
  updatedAfter?: string;
  updatedBefore?: string;
}

export const instanceSorts = ['created_at', 'updated_at', 'sla_at'] as const;

const columns = `instance_id, definition_code, definition_version, current_state, subject_ref, sla_at, paused,
  owner_team, owner_user_id, status, created_at, updated_at, sla_escalation_level, failed_effects, paused_at, sla_calendar, sla_calendar_version`;

/**
 * The conditions of `filter` over wf_instances_view (`?` for each bound value): the one WHERE of every selection
 * by filter, the list's and a bulk job's.
 */
export function instanceFilterConditions(filter: InstanceFilter): Array<[string, unknown]> {
  const filters: Array<[string, unknown]> = [];
  if (filter.definitionCode !== undefined) filters.push(['definition_code = ?', filter.definitionCode]);
  if (filter.currentState !== undefined) filters.push(['current_state = ?', filter.currentState]);
  if (filter.ownerTeam !== undefined) filters.push(['owner_team = ?', filter.ownerTeam]);
  if (filter.ownerUserId !== undefined) filters.push(['owner_user_id = ?::uuid', filter.ownerUserId]);
  if (filter.paused !== undefined) filters.push(['paused = ?::boolean', filter.paused]);
  if (filter.overdueAt !== undefined) filters.push([`status = 'active' and sla_at < ?::timestamptz`, filter.overdueAt]);
  if (filter.createdAfter !== undefined) filters.push(['created_at >= ?::timestamptz', filter.createdAfter]);
  if (filter.createdBefore !== undefined) filters.push(['created_at < ?::timestamptz', filter.createdBefore]);
  if (filter.hasFailedEffects !== undefined) filters.push([filter.hasFailedEffects ? 'failed_effects >= ?::int' : 'failed_effects < ?::int', 1]);
  if (filter.slaLevelMin !== undefined) filters.push(['sla_escalation_level >= ?::int', filter.slaLevelMin]);
  if (filter.updatedAfter !== undefined) filters.push(['updated_at >= ?::timestamptz', filter.updatedAfter]);
  if (filter.updatedBefore !== undefined) filters.push(['updated_at < ?::timestamptz', filter.updatedBefore]);
  return filters;
}

/** The organization's instances matching `filter`, one keyset page in the chosen order. */
export function listInstances(
  sql: Sql,
  organizationId: string,
  filter: InstanceFilter,
  sort: { by: (typeof instanceSorts)[number]; order: 'asc' | 'desc' },
  limit: number,
  after: KeysetPosition | null,
) {
  return keysetPage<InstanceRow & Record<string, unknown>>(sql, {
    view: 'wf_instances_view',
    columns,
    idColumn: 'instance_id',
    sortColumn: sort.by,
    sortType: 'timestamptz',
    direction: sort.order,
    organizationId,
    filters: instanceFilterConditions(filter),
    limit,
    after,
  });
}
