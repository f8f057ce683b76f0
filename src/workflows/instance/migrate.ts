import { iso } from '../machine';
import type { MigrateAnswer, MigrateRequest } from '../messages';
import { migrateCheck } from './checks';
import type { InstanceContext } from './context';
import { recordNote } from './notes';
import { cancelledTasks } from './records';

const procedure = 'HERA.UNIV.WF.INSTANCE.MIGRATE.V1';

/**
 * Re-pins the instance to another version of its definition (see `migrationPlan`): a dry run answers the plan;
 * a real one cancels the timers and tasks the target no longer defines, renames the state when mapped, and from
 * then on the instance follows the target (carried over on continue-as-new). Kept timers and tasks keep their
 * deadlines, so their remaining time; a paused instance stays paused.
 */
export async function migrate(ctx: InstanceContext, request: MigrateRequest): Promise<MigrateAnswer> {
  const { state } = ctx;
  const plan = migrateCheck(ctx, request);
  const instanceId = state.snapshot.instance_id;
  if (request.dry_run) return { instance_id: instanceId, dry_run: true, migrated_at: null, ...plan };
  const dropped = new Set([...plan.timers.filter((t) => t.action === 'cancel').map((t) => t.timer_id), ...plan.tasks.filter((t) => t.action === 'cancel').map((t) => t.task_id)]);
  const at = iso(Date.now());
  const timers = state.pendingTimers().filter((t) => dropped.has(t.timer_id));
  const tasks = cancelledTasks(state.openTasks().filter((t) => dropped.has(t.task_id)), at);
  const reason = `migrated to version ${plan.to_version}`;
  const { from_version, to_version, from_state, to_state } = plan;
  await recordNote(
    ctx,
    'MIGRATE',
    request,
    { from_version, to_version, from_state, to_state, timers: plan.timers, tasks: plan.tasks },
    { definition_version: to_version, current_state: to_state, migrated_at: at },
    { procedure, tasksUpdated: tasks, change: { to: to_state, timersCancelled: timers, cancelReason: reason } },
  );
  state.cancelTimers(timers, at, reason);
  state.addTasks(tasks);
  state.repin(request.definition, to_state, at, request.calendars);
  return { instance_id: instanceId, dry_run: false, migrated_at: at, ...plan };
}
