import type { UpdateDefinition } from '@temporalio/common';
import { condition, setHandler } from '@temporalio/workflow';
import {
  advanceUpdate,
  awaitCreatedUpdate,
  cancelTimerUpdate,
  cancelUpdate,
  checkSlaUpdate,
  claimTaskUpdate,
  completeTaskUpdate,
  createTaskUpdate,
  escalateOverdueTaskUpdate,
  escalateTaskUpdate,
  fireTimerUpdate,
  migrateUpdate,
  moveUpdate,
  pauseSignal,
  pauseUpdate,
  reassignSignal,
  reassignTaskUpdate,
  reassignUpdate,
  resumeSignal,
  resumeUpdate,
  retryEffectsUpdate,
  setTimerUpdate,
  slaRecalcUpdate,
  snapshotQuery,
  type CreatedReply,
} from '../messages';
import { cancel } from './cancel';
import * as check from './checks';
import type { InstanceContext } from './context';
import { queryDescriptions, signalDescriptions, updateDescriptions } from './descriptions';
import { migrate } from './migrate';
import { move } from './move';
import { fromSignal, pause, procedures, reassign, recalculateSla, resume, retryEffects } from './operations';
import { checkSla } from './slaCheck';
import { claimTask, completeTask, createTask, escalateOverdueTask, escalateTask, reassignTask } from './tasks';
import { cancelTimers, fireTimer, setTimer } from './timers';
import { advance } from './transitions';

/** START's Update: answered once the instance's record is written (again, for a repeat of the same request). */
async function awaitCreated({ state, input }: InstanceContext): Promise<CreatedReply> {
  await condition(() => state.created);
  state.createdReplies += 1;
  return { instance: state.createdAnswer, requestHash: input.requestHash, replayed: state.createdReplies > 1 };
}

/**
 * Every query, Update and signal of the instance, one line each, registered before the workflow's first
 * `await` (so nothing sent with the start is dropped) and in this order (buffered messages are delivered as
 * their handler is registered). An Update's validator is its capability's check; the handler runs the
 * capability in the serializer, where it checks again first.
 */
export function registerHandlers(ctx: InstanceContext): void {
  const { state, serialize } = ctx;
  /** A serialized Update whose validator is `validate`. */
  const update = <R, A>(definition: UpdateDefinition<R, [A]>, validate: (arg: A) => unknown, work: (ctx: InstanceContext, arg: A) => Promise<R>) =>
    setHandler(definition, (arg: A) => serialize(() => work(ctx, arg)), { validator: (arg: A) => void validate(arg), description: updateDescriptions[definition.name as keyof typeof updateDescriptions] });

  /**
   * A task the database already holds may not be the workflow's yet: the command that creates it commits the
   * task before the workflow records it. While a command runs, an unknown task is left to the handler, which
   * runs after it and checks again.
   */
  const taskCheck = (request: { task_id: string }, validate: () => unknown) => {
    if (!state.tasks.has(request.task_id) && serialize.busy) return;
    validate();
  };

  setHandler(snapshotQuery, () => state.snapshot, { description: queryDescriptions.snapshot });
  setHandler(awaitCreatedUpdate, () => awaitCreated(ctx), { validator: (hash) => check.createdCheck(ctx, hash), description: updateDescriptions.awaitCreated });
  update(advanceUpdate, (r) => check.advanceCheck(ctx, r), advance);
  update(setTimerUpdate, (r) => check.setTimerCheck(ctx, r), setTimer);
  update(cancelTimerUpdate, (r) => check.cancelChoice(state, r), cancelTimers);
  update(fireTimerUpdate, (r) => check.fireCheck(ctx, r), fireTimer);
  update(createTaskUpdate, () => check.requireActive(state), createTask);
  update(claimTaskUpdate, (r) => taskCheck(r, () => check.claimCheck(state, r)), claimTask);
  update(completeTaskUpdate, (r) => taskCheck(r, () => check.completeCheck(state, r)), completeTask);
  update(escalateTaskUpdate, (r) => taskCheck(r, () => check.escalateCheck(check.findTask(state, r.task_id), r)), escalateTask);
  update(escalateOverdueTaskUpdate, (r) => check.overdueCheck(state, r.task_id, Date.parse(r.as_of)), escalateOverdueTask);
  update(pauseUpdate, () => check.pauseCheck(state), pause);
  update(resumeUpdate, () => check.resumeCheck(state), resume);
  update(reassignUpdate, (c) => check.reassignCheck(state, c), reassign);
  setHandler(pauseSignal, fromSignal(ctx, procedures.pause, pause), { description: signalDescriptions.pause });
  setHandler(resumeSignal, fromSignal(ctx, procedures.resume, resume), { description: signalDescriptions.resume });
  setHandler(reassignSignal, fromSignal(ctx, procedures.reassign, reassign), { description: signalDescriptions.reassign });
  update(slaRecalcUpdate, (r) => check.slaRecalcCheck(ctx, r), recalculateSla);
  update(reassignTaskUpdate, (r) => taskCheck(r, () => check.reassignTaskCheck(state, r)), reassignTask);
  update(checkSlaUpdate, (r) => check.slaCheck(state, r), checkSla);
  update(cancelUpdate, () => check.cancelCheck(state), cancel);
  update(moveUpdate, (r) => check.moveCheck(ctx, r), move);
  update(migrateUpdate, (r) => check.migrateCheck(ctx, r), migrate);
  // Not serialized as a whole: see `retryEffects`.
  setHandler(retryEffectsUpdate, (r) => retryEffects(ctx, r), { description: updateDescriptions.retryEffects });
}
