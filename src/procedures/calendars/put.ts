import { calendarSchema } from '../../calendars/schema';
import type { StoredCalendar } from '../../db/queries/calendars';
import { runRecordWorkflow } from '../../temporal/commands';
import { defineProcedure } from '../types';

/**
 * Stores a calendar's next version, effective now (201), or answers the current one when the body is the same
 * (200). Versions apply forward: an instance keeps the version it pinned until its SLA is recalculated.
 */
export const calendarPut = defineProcedure({
  smartCode: 'HERA.UNIV.WF.CALENDAR.PUT.V1',
  input: calendarSchema,
  async handle(calendar, { caller, services, markOk }) {
    const stored = await runRecordWorkflow<StoredCalendar>(
      {
        temporal: services.temporal,
        taskQueue: services.config.HERA_TASK_QUEUE,
        organizationId: caller.organizationId,
        subject: `calendar/${calendar.code}`,
      },
      'putCalendarWorkflow',
      { organizationId: caller.organizationId, actorUserId: caller.userId, change: calendar },
    );
    if (!stored.created) markOk();
    return stored.calendar;
  },
});
