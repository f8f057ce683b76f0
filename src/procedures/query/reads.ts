import { z } from 'zod';
import { pinnedVersions, type SlaCalendarRow, type TaskCalendarRow, withTaskWorkingHoursLeft, withWorkingHoursLeft } from '../../calendars/slaWorkingTime';
import { platformOrganizationId } from '../../db/queries/codes';
import { sweepRunStats, workflowMetrics } from '../../db/queries/metrics';
import { getInstance, getTask, instanceChildren, listNotifications, listSteps, listTasks, taskSorts } from '../../db/queries/readModels';
import { Refusal } from '../../errors';
import { decodeCursor, pageAnswer, pageInput, queryBoolean, sortInput } from '../pagination';
import { defineProcedure } from '../types';

const includeFlag = queryBoolean.default(true);
const isoTime = z.iso.datetime({ offset: true });

/** INSTANCE.GET: the instance with its steps, tasks, timers and effects (each optional). */
export const instanceGet = defineProcedure({
  smartCode: 'HERA.UNIV.WF.INSTANCE.GET.V1',
  input: z.strictObject({
    instance_id: z.guid(),
    include_steps: includeFlag,
    include_tasks: includeFlag,
    include_timers: includeFlag,
    include_effects: includeFlag,
    steps_limit: z.coerce.number().int().min(1).max(1000).default(100),
  }),
  async handle(input, { caller, services }) {
    const org = caller.organizationId;
    return services.db.withOrg(org, async (sql) => {
      const row = await getInstance(sql, org, input.instance_id);
      if (!row) throw new Refusal('INSTANCE_NOT_FOUND', 'no such instance', { instance_id: input.instance_id });
      const now = Date.now();
      const [instance] = await withWorkingHoursLeft([row as typeof row & SlaCalendarRow], pinnedVersions(sql, org), now);
      const children = await instanceChildren(sql, org, input.instance_id, input.steps_limit);
      return {
        instance,
        ...(input.include_steps ? { steps: children.steps } : {}),
        ...(input.include_tasks ? { tasks: await withTaskWorkingHoursLeft(sql, org, children.tasks as TaskCalendarRow[], now) } : {}),
        ...(input.include_timers ? { timers: children.timers } : {}),
        ...(input.include_effects ? { effects: children.effects } : {}),
      };
    });
  },
});

/** STEPS.LIST: an instance's steps in order. */
export const stepsList = defineProcedure({
  smartCode: 'HERA.UNIV.WF.STEPS.LIST.V1',
  input: z.strictObject({ instance_id: z.guid(), ...pageInput }),
  async handle(input, { caller, services }) {
    const org = caller.organizationId;
    const after = decodeCursor(input.cursor, 'line_number:asc', 'integer');
    return services.db.withOrg(org, async (sql) => {
      if (!(await getInstance(sql, org, input.instance_id))) throw new Refusal('INSTANCE_NOT_FOUND', 'no such instance', { instance_id: input.instance_id });
      return pageAnswer('steps', await listSteps(sql, org, input.instance_id, input.limit, after), input.limit, 'line_number:asc');
    });
  },
});

/** TASKS.LIST: the organization's tasks, filtered and sorted, keyset-paginated. */
export const tasksList = defineProcedure({
  smartCode: 'HERA.UNIV.WF.TASKS.LIST.V1',
  input: z.strictObject({
    instance_id: z.guid().optional(),
    task_state: z.enum(['OPEN', 'CLAIMED', 'COMPLETED', 'CANCELLED']).optional(),
    assignee_role: z.string().min(1).optional(),
    assignee_user_id: z.guid().optional(),
    priority: z.enum(['low', 'medium', 'high', 'urgent']).optional(),
    overdue: queryBoolean.optional(),
    created_after: isoTime.optional(),
    created_before: isoTime.optional(),
    completed_after: isoTime.optional(),
    completed_before: isoTime.optional(),
    ...sortInput(taskSorts),
    ...pageInput,
  }),
  async handle(input, { caller, services }) {
    const org = caller.organizationId;
    const sort = `${input.sort_by}:${input.sort_order}`;
    const after = decodeCursor(input.cursor, sort, 'timestamp');
    const now = new Date();
    const page = await services.db.withOrg(org, async (sql) => {
      const listed = await listTasks(
        sql,
        org,
        {
          instanceId: input.instance_id,
          taskState: input.task_state,
          assigneeRole: input.assignee_role,
          assigneeUserId: input.assignee_user_id,
          priority: input.priority,
          overdueAt: input.overdue ? now.toISOString() : undefined,
          createdAfter: input.created_after,
          createdBefore: input.created_before,
          completedAfter: input.completed_after,
          completedBefore: input.completed_before,
        },
        { by: input.sort_by, order: input.sort_order },
        input.limit,
        after,
      );
      return { ...listed, rows: await withTaskWorkingHoursLeft(sql, org, listed.rows as unknown as TaskCalendarRow[], now.getTime()) };
    });
    return pageAnswer('tasks', page, input.limit, sort);
  },
});

/** TASK.GET: one task with its full JSON (history included). */
export const taskGet = defineProcedure({
  smartCode: 'HERA.UNIV.WF.TASK.GET.V1',
  input: z.strictObject({ task_id: z.guid() }),
  async handle(input, { caller, services }) {
    const org = caller.organizationId;
    const task = await services.db.withOrg(org, async (sql) => {
      const row = await getTask(sql, org, input.task_id);
      return row && (await withTaskWorkingHoursLeft(sql, org, [row as typeof row & TaskCalendarRow], Date.now()))[0];
    });
    if (!task) throw new Refusal('TASK_NOT_FOUND', 'no such task', { task_id: input.task_id });
    return { task };
  },
});

/** The organization's operational numbers (lifecycle counts, SLA risk, tasks, effects, throughput, time in state) and the sweep's runs. */
export const metricsGet = defineProcedure({
  smartCode: 'HERA.UNIV.WF.METRICS.GET.V1',
  input: z.strictObject({}),
  async handle(_input, { caller, services }) {
    const org = caller.organizationId;
    const now = Date.now();
    const metrics = await services.db.withOrg(org, (sql) => workflowMetrics(sql, org, now));
    return { ...metrics, sweep: await services.db.withOrg(platformOrganizationId, (sql) => sweepRunStats(sql, platformOrganizationId, now)) };
  },
});

/** The escalation outbox, newest first; filter by instance, template or status. */
export const notificationsList = defineProcedure({
  smartCode: 'HERA.UNIV.WF.NOTIFICATIONS.LIST.V1',
  input: z.strictObject({
    instance_id: z.guid().optional(),
    template: z.string().min(1).optional(),
    status: z.string().min(1).optional(),
    ...pageInput,
  }),
  async handle(input, { caller, services }) {
    const org = caller.organizationId;
    const after = decodeCursor(input.cursor, 'created_at:desc', 'timestamp');
    const page = await services.db.withOrg(org, (sql) => listNotifications(sql, org, { instanceId: input.instance_id, template: input.template, status: input.status }, input.limit, after));
    return pageAnswer('notifications', page, input.limit, 'created_at:desc');
  },
});
