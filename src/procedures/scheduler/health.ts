import { z } from 'zod';
import { durationMs } from '../../config';
import { platformOrganizationId } from '../../db/queries/codes';
import { lastScheduledRunAt } from '../../db/queries/sweep';
import { sweepHealthOf, type SweepHealth } from '../../metrics';
import { nextSweepAt, sweepScheduleId } from '../../temporal/schedule';
import { defineProcedure, type Services } from '../types';

/** The sweep's health from the schedule's last run record (runs are platform records: only their time is read here). */
export async function readSweepHealth(services: Pick<Services, 'db' | 'config'>): Promise<SweepHealth> {
  const lastRunAt = await services.db.withOrg(platformOrganizationId, (sql) => lastScheduledRunAt(sql));
  return sweepHealthOf(lastRunAt, durationMs(services.config.HERA_SWEEP_INTERVAL), Date.now());
}

/** SCHEDULER.HEALTH: when the sweep last ran, whether that is recent enough, and when it runs next. */
export const schedulerHealth = defineProcedure({
  smartCode: 'HERA.UNIV.WF.SCHEDULER.HEALTH.V1',
  input: z.strictObject({}),
  async handle(_input, { services }) {
    return { ...(await readSweepHealth(services)), schedule_id: sweepScheduleId, next_run_at: await nextSweepAt(services.temporal) };
  },
});
