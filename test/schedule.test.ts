import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { platformOrganizationId } from '../src/db/queries/codes';
import { sweepScheduleId } from '../src/temporal/schedule';
import { eventually } from './support/eventually';
import { startHarness, type Harness } from './support/harness';
import { childWorker } from './support/worker';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  // Nothing of this file may sweep during later tests: the schedule goes, and its last run is waited for.
  await h.system.services.temporal.schedule
    .getHandle(sweepScheduleId)
    .delete()
    .catch((error: unknown) => {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    });
  await eventually(async () => expect(await runningSweeps()).toBe(0), 60_000, 500);
  await h.close();
});

const runningSweeps = async () =>
  (
    await h.system.services.temporal.connection.workflowService.listWorkflowExecutions({
      namespace: 'default',
      query: `WorkflowType = 'sweepWorkflow' AND ExecutionStatus = 'Running'`,
    })
  ).executions.length;

const hera = async (args: string[], env: Record<string, string>) => {
  const { stdout } = await promisify(execFile)(process.execPath, [path.resolve(__dirname, '../bin/hera.js'), ...args], {
    env: { ...process.env, DATABASE_URL: h.env.databaseUrl, LOG_LEVEL: 'silent', ...env },
  });
  return JSON.parse(stdout);
};

const describeSchedule = () => h.system.services.temporal.schedule.getHandle(sweepScheduleId).describe();

test('a worker creates the schedule at start; `hera schedule ensure` updates it; it fires on its interval and each run is recorded', async () => {
  const taskQueue = `schedule-${Date.now()}`;
  const worker = childWorker(h.env.databaseUrl, taskQueue, { HERA_SWEEP_SCHEDULE: 'on', HERA_SWEEP_INTERVAL: '1h' });
  try {
    await worker.running;
  } finally {
    await worker.kill();
  }
  let schedule = await describeSchedule();
  expect(schedule.spec.intervals).toMatchObject([{ every: 3_600_000 }]);
  expect(schedule.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
  expect(schedule.action).toMatchObject({ type: 'startWorkflow', workflowType: 'sweepWorkflow', taskQueue });

  // An operator's pause survives an update; then every second on this run's own worker.
  const handle = h.system.services.temporal.schedule.getHandle(sweepScheduleId);
  await handle.pause('maintenance');
  expect(await hera(['schedule', 'ensure'], { HERA_SWEEP_INTERVAL: '1s' })).toEqual({ schedule_id: sweepScheduleId, action: 'updated', interval: '1s' });
  schedule = await describeSchedule();
  expect(schedule.state).toMatchObject({ paused: true, note: 'maintenance' });
  expect(schedule.spec.intervals).toMatchObject([{ every: 1000 }]);
  expect(schedule.action).toMatchObject({ taskQueue: h.env.taskQueue });
  await handle.unpause();
  const finished = await eventually(async () => {
    const actions = (await describeSchedule()).info.recentActions;
    expect(actions.length).toBeGreaterThanOrEqual(2);
    const { workflowId, firstExecutionRunId } = actions[actions.length - 2].action.workflow;
    return (await h.system.services.temporal.workflow.getHandle(workflowId, firstExecutionRunId).result()) as { scheduler_run_id: string; trigger: string };
  }, 30_000, 500);
  expect(finished.trigger).toBe('schedule');
  const records = await h.system.services.db.withOrg(platformOrganizationId, async (sql) =>
    (await sql.query('select trigger, status, counts from wf_scheduler_runs_view where run_id = $1', [finished.scheduler_run_id])).rows,
  );
  expect(records).toEqual([expect.objectContaining({ trigger: 'schedule', status: 'COMPLETED', counts: expect.objectContaining({ dry_run: false }) })]);

  // The schedule's runs keep the sweep healthy (within two intervals of this API's HERA_SWEEP_INTERVAL, 5 min).
  const admin = await h.member((await h.organization()).id, ['admin']);
  const health = await h.request('GET', '/api/v1/scheduler/health', { token: admin.token });
  expect(health).toMatchObject({ status: 200, body: { healthy: true, schedule_id: sweepScheduleId, interval_seconds: 300 } });
  expect(health.body.age_seconds).toBeLessThan(30);
  expect(Date.parse(health.body.next_run_at)).toBeGreaterThan(Date.now() - 5000);
  expect(await (await fetch(`${h.api.url}/metrics`)).text()).toMatch(/^hera_sweep_healthy 1$/m);

  // Back to an hour, then one run on demand through the schedule.
  expect(await hera(['schedule', 'ensure'], { HERA_SWEEP_INTERVAL: '1h' })).toMatchObject({ action: 'updated' });
  await eventually(async () => expect(await runningSweeps()).toBe(0), 30_000, 250);
  const triggered = await hera(['schedule', 'trigger'], {});
  expect(triggered).toMatchObject({ trigger: 'schedule', dry_run: false, errors: 0 });
  expect(triggered.scheduler_run_id).not.toBe(finished.scheduler_run_id);
}, 120_000);
