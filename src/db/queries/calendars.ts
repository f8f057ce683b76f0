import type { CalendarChange } from '../../calendars/schema';
import type { CalendarRules } from '../../domain/calendar/types';
import type { Sql } from '../pool';
import { smartCodes } from './codes';
import { keysetPage, type KeysetPosition } from './keyset';

/** One stored version of a calendar, as the API answers it and the engine pins it (times ISO-8601 UTC). */
export interface CalendarVersion extends CalendarRules {
  code: string;
  name: string;
  version: number;
  effective_from: string;
  created_at: string;
  created_by: string;
}

export interface StoredCalendar {
  /** False when the body was the current version's: nothing was stored. */
  created: boolean;
  calendar: CalendarVersion;
}

type CalendarRow = Omit<CalendarVersion, 'effective_from' | 'created_at'> & {
  calendar_version_id: string;
  effective_from: Date;
  created_at: Date;
};

const calendarColumns =
  'calendar_version_id, calendar_code as code, name, version, effective_from, time_zone, working_hours, holidays, exceptions, created_at, created_by';

function calendarOf(row: CalendarRow): CalendarVersion {
  return {
    code: row.code,
    name: row.name,
    version: row.version,
    effective_from: row.effective_from.toISOString(),
    time_zone: row.time_zone,
    working_hours: row.working_hours,
    holidays: row.holidays,
    exceptions: row.exceptions,
    created_at: row.created_at.toISOString(),
    created_by: row.created_by,
  };
}

/**
 * Stores `calendar` as its code's next version, effective now, unless the current version holds the same name and
 * rules (then answers that one). The entity upsert holds the calendar's row lock until commit, so concurrent PUTs
 * of one code take their version numbers one after another, and an activity retried after its commit finds its
 * own version current and stores nothing.
 */
export async function storeCalendarVersion(sql: Sql, org: string, { code, ...calendar }: CalendarChange, actor: string): Promise<StoredCalendar> {
  const { rows: anchor } = await sql.query<{ id: string }>(
    `insert into core_entities (organization_id, entity_type, entity_code, entity_name, smart_code, created_by, updated_by)
     values ($1, 'WF_CALENDAR', $2, $3, $4, $5, $5)
     on conflict (organization_id, entity_type, entity_code) where entity_type = 'WF_CALENDAR'
     do update set entity_name = excluded.entity_name, updated_at = now(), updated_by = excluded.updated_by
     returning id`,
    [org, code, calendar.name, smartCodes.calendar, actor],
  );
  const { rows: stored } = await sql.query<{ version: number }>(
    `with latest as (
       select version, field_value_json from core_dynamic_data
        where organization_id = $1::uuid and entity_id = $2::uuid and field_name like 'calendar_v%'
        order by version desc limit 1)
     insert into core_dynamic_data (organization_id, entity_id, field_name, field_type, field_value_json, field_value_date, version,
                                    smart_code, created_by, updated_by)
     select $1::uuid, $2::uuid, 'calendar_v' || n.version, 'json', $3::jsonb, now(), n.version, $4, $5::uuid, $5::uuid
       from (select coalesce((select version from latest), 0) + 1 as version) as n
      where not exists (select 1 from latest where field_value_json = $3::jsonb)
     returning version`,
    [org, anchor[0].id, calendar, smartCodes.calendar, actor],
  );
  const current = await findCalendarVersion(sql, org, code, stored[0]?.version);
  return { created: stored.length > 0, calendar: current! };
}

/** Version `version` of calendar `code`, or without one its current (highest) version. */
export async function findCalendarVersion(sql: Sql, org: string, code: string, version?: number): Promise<CalendarVersion | undefined> {
  const { rows } = await sql.query<CalendarRow>(
    `select ${calendarColumns} from wf_calendars_view
      where organization_id = $1 and calendar_code = $2 and ($3::int is null or version = $3::int)
      order by version desc limit 1`,
    [org, code, version ?? null],
  );
  return rows[0] && calendarOf(rows[0]);
}

/** The organization's calendars at their current versions, the latest stored first. */
export async function listCalendars(sql: Sql, org: string, limit: number, after: KeysetPosition | null) {
  const page = await keysetPage<CalendarRow>(sql, {
    view: 'wf_calendars_current_view',
    columns: calendarColumns,
    idColumn: 'calendar_version_id',
    sortColumn: 'effective_from',
    sortType: 'timestamptz',
    direction: 'desc',
    organizationId: org,
    filters: [],
    limit,
    after,
  });
  return { rows: page.rows.map(calendarOf), next: page.next };
}
