import { uuid4 } from '@temporalio/workflow';
import type { MoveAnswer, MoveRequest } from '../messages';
import { moveCheck } from './checks';
import type { InstanceContext } from './context';
import { recordNote } from './notes';
import { cancelledTasks } from './records';
import { stateChange } from './transitions';

const procedure = 'HERA.UNIV.WF.INSTANCE.MOVE.V1';

/**
 * Jumps to any state of the definition: leaves the current one as a transition does (PENDING timers cancelled)
 * and closes its open tasks, enters the new one (its timers and tasks; completed if terminal); no guard or
 * effect runs. A paused instance stays paused: the new state's timers wait for the resume.
 */
export async function move(ctx: InstanceContext, command: MoveRequest): Promise<MoveAnswer> {
  const { state } = ctx;
  moveCheck(ctx, command);
  const from = state.snapshot.current_state;
  const stepId = uuid4();
  const entry = stateChange(ctx, command.to_state, Date.now());
  const tasks = cancelledTasks(state.openTasksOfState(), entry.at);
  const details = {
    from_state: from,
    to_state: entry.to,
    status: entry.status,
    timers_cancelled: entry.cancelled.map((t) => t.timer_id),
    timers_set: entry.timersSet.map((t) => t.timer_id),
    tasks_cancelled: tasks.map((t) => t.task_id),
    tasks_created: entry.tasksCreated.map((t) => t.task_id),
  };
  await recordNote(ctx, 'MOVE', command, details, { current_state: entry.to }, {
    procedure,
    tasksUpdated: tasks,
    change: { to: entry.to, status: entry.status, stepId, timersCancelled: entry.cancelled, cancelReason: 'state exited', timersSet: entry.timersSet, tasksCreated: entry.tasksCreated },
  });
  state.addTasks(tasks);
  state.changeState(entry);
  return { instance_id: state.snapshot.instance_id, moved_at: entry.at, step_id: stepId, ...details };
}
