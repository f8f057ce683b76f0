import { actorLabel } from '../../domain/actor';
import { iso } from '../machine';
import type { CancelAnswer, CancelRequest } from '../messages';
import { cancelCheck } from './checks';
import type { InstanceContext } from './context';
import { recordNote } from './notes';
import { cancelledTasks } from './records';

const procedure = 'HERA.UNIV.WF.INSTANCE.CANCEL.V1';
const timerReason = 'instance cancelled';

/**
 * Ends the instance where it stands, paused or not: status `cancelled`, every PENDING timer cancelled and every
 * open task closed as CANCELLED, with a CANCEL step line. The run then ends as a finished one does, once the
 * effects already running settle.
 */
export async function cancel(ctx: InstanceContext, command: CancelRequest): Promise<CancelAnswer> {
  const { state } = ctx;
  cancelCheck(state);
  const at = iso(Date.now());
  const timers = state.pendingTimers();
  const tasks = cancelledTasks(state.openTasks(), at);
  const by = actorLabel(command.actor);
  const closed = { timers_cancelled: timers.map((t) => t.timer_id), tasks_cancelled: tasks.map((t) => t.task_id) };
  await recordNote(ctx, 'CANCEL', command, closed, { cancelled_at: at, cancelled_by: by, cancel_reason: command.reason }, {
    procedure,
    tasksUpdated: tasks,
    change: { status: 'cancelled', timersCancelled: timers, cancelReason: timerReason },
  });
  state.cancelTimers(timers, at, timerReason);
  state.addTasks(tasks);
  state.setCancelled(at);
  return { instance_id: state.snapshot.instance_id, status: 'cancelled', current_state: state.snapshot.current_state, cancelled_at: at, cancelled_by: by, reason: command.reason, ...closed };
}
