import { z } from 'zod';
import { findCalendarVersion, listCalendars } from '../../db/queries/calendars';
import { upperCode } from '../../definitions/schema';
import { Refusal } from '../../errors';
import { decodeCursor, pageAnswer, pageInput } from '../pagination';
import { defineProcedure } from '../types';

/** CALENDAR.GET: the current version of a calendar, or `version` N. */
export const calendarGet = defineProcedure({
  smartCode: 'HERA.UNIV.WF.CALENDAR.GET.V1',
  input: z.strictObject({ code: upperCode, version: z.coerce.number().int().min(1).max(2_147_483_647).optional() }),
  async handle(input, { caller, services }) {
    const org = caller.organizationId;
    const calendar = await services.db.withOrg(org, (sql) => findCalendarVersion(sql, org, input.code, input.version));
    if (!calendar) throw new Refusal('CALENDAR_NOT_FOUND', input.version ? `no version ${input.version} of calendar ${input.code}` : `no calendar ${input.code}`, input);
    return calendar;
  },
});

/** CALENDARS.LIST: the organization's calendars at their current versions, the latest stored first. */
export const calendarsList = defineProcedure({
  smartCode: 'HERA.UNIV.WF.CALENDARS.LIST.V1',
  input: z.strictObject({ ...pageInput }),
  async handle(input, { caller, services }) {
    const org = caller.organizationId;
    const after = decodeCursor(input.cursor, 'effective_from:desc', 'timestamp');
    const page = await services.db.withOrg(org, (sql) => listCalendars(sql, org, input.limit, after));
    return pageAnswer('calendars', page, input.limit, 'effective_from:desc');
  },
});
