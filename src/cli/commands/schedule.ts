import { Command } from 'commander';
import { loadConfig } from '../../config';
import { connectClient } from '../../temporal/connection';
import { ensureSweepSchedule, sweepScheduleId, triggerSweepAndWait } from '../../temporal/schedule';

export const scheduleCommand = new Command('schedule').description(`the SLA sweep's Temporal Schedule (${sweepScheduleId})`);

scheduleCommand
  .command('ensure')
  .description('create the schedule, or update it to HERA_SWEEP_INTERVAL and HERA_TASK_QUEUE; prints {schedule_id, action, interval}')
  .action(async () => {
    const config = loadConfig();
    const client = await connectClient(config);
    try {
      const action = await ensureSweepSchedule(client, { taskQueue: config.HERA_TASK_QUEUE, interval: config.HERA_SWEEP_INTERVAL });
      process.stdout.write(`${JSON.stringify({ schedule_id: sweepScheduleId, action, interval: config.HERA_SWEEP_INTERVAL })}\n`);
    } finally {
      await client.connection.close();
    }
  });

scheduleCommand
  .command('trigger')
  .description('run the sweep now through the schedule and print the run’s report (nothing starts while a run is in progress)')
  .action(async () => {
    const config = loadConfig();
    const client = await connectClient(config);
    try {
      const report = await triggerSweepAndWait(client);
      if (report === undefined) throw new Error('the schedule started no run: one is still in progress (overlap SKIP); try again when it ends');
      process.stdout.write(`${JSON.stringify(report)}\n`);
    } finally {
      await client.connection.close();
    }
  });
