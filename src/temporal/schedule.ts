import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import type { SweepInput } from '../workflows/sweepContract';

/** The one schedule that runs the SLA sweep; operators find it under this id in the Temporal UI. */
export const sweepScheduleId = 'hera-wf-sweep';

export interface SweepScheduleSettings {
  taskQueue: string;
  /** A duration such as 5m. */
  interval: string;
}

function sweepSchedule({ taskQueue, interval }: SweepScheduleSettings): ScheduleOptions {
  const input: SweepInput = { trigger: 'schedule' };
  return {
    scheduleId: sweepScheduleId,
    spec: { intervals: [{ every: interval }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'sweepWorkflow',
      workflowId: sweepScheduleId,
      taskQueue,
      args: [input],
      // What the Temporal UI lists each scheduled run by.
      staticSummary: `SLA sweep · every ${interval}`,
    },
    // A run still going when the next one is due is left alone; missed runs are not made up, the next one covers them.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
    memo: { description: 'HERA SLA sweep: SLA warnings and escalations, late timers, overdue tasks' },
  };
}

/** Creates the sweep schedule, or brings an existing one to these settings (keeping its paused state). */
export async function ensureSweepSchedule(client: Client, settings: SweepScheduleSettings): Promise<'created' | 'updated'> {
  const options = sweepSchedule(settings);
  try {
    await client.schedule.create(options);
    return 'created';
  } catch (error) {
    // Another worker may have created it a moment ago: then it is updated like any existing one.
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  await client.schedule
    .getHandle(sweepScheduleId)
    .update((previous) => ({ ...previous, spec: options.spec, action: options.action, policies: options.policies }));
  return 'updated';
}

/** When the schedule runs the sweep next, if it exists and is not paused. */
export async function nextSweepAt(client: Client): Promise<string | null> {
  try {
    const description = await client.schedule.getHandle(sweepScheduleId).describe();
    if (description.state.paused) return null;
    return description.info.nextActionTimes[0]?.toISOString() ?? null;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return null;
    throw error;
  }
}

/** Asks the schedule to run the sweep now (skipped if a run is in progress, as scheduled runs are). */
export async function triggerSweep(client: Client): Promise<void> {
  await client.schedule.getHandle(sweepScheduleId).trigger(ScheduleOverlapPolicy.SKIP);
}

/**
 * Triggers the schedule and waits for the run it started, answering that run's result; undefined when the
 * schedule started nothing within `waitMs` (a run was already in progress: overlap SKIP).
 */
export async function triggerSweepAndWait(client: Client, waitMs = 15_000): Promise<unknown> {
  const handle = client.schedule.getHandle(sweepScheduleId);
  const before = (await handle.describe()).info.recentActions.at(-1)?.takenAt.getTime() ?? 0;
  await triggerSweep(client);
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    const latest = (await handle.describe()).info.recentActions.at(-1);
    if (latest && latest.takenAt.getTime() > before) {
      const { workflowId, firstExecutionRunId } = latest.action.workflow;
      return client.workflow.getHandle(workflowId, firstExecutionRunId).result();
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return undefined;
}
