import { allHandlersFinished, condition, continueAsNew, patched, proxyLocalActivities, uuid4, workflowInfo } from '@temporalio/workflow';
import { initialState } from '../machine';
import type { InstanceInput, InstanceSnapshot } from '../messages';
import { nextSlaCheck } from '../sla';
import { refuse } from './checks';
import { createContext, persistenceOptions, type InstanceContext, type RecordActivities } from './context';
import { registerHandlers } from './handlers';
import { onEnter } from './records';
import { checkDueMoments } from './slaCheck';
import { InstanceState } from './state';
import { fireDue } from './timers';

/**
 * One HERA workflow instance: the only writer of its records, so every change to it (transitions, timers,
 * tasks, effects, operator commands) is decided here, one at a time. Its capabilities live beside this file:
 * `transitions`, `timers`, `tasks`, `operations`, `slaCheck`; their preconditions in `checks`; the one
 * table of handlers in `handlers`; everything it knows in `state`.
 */
export async function instanceWorkflow(input: InstanceInput): Promise<InstanceSnapshot> {
  // A START that names the revision it was made for needs no patch marker (each marker also upserts Temporal's
  // TemporalChangeVersion search attribute, a write of the visibility record); runs started without one decide by
  // the patches their histories recorded, one marker at most: the later patch implies the earlier.
  const revised = (input.revision ?? 0) >= 1;
  const localStartRecord = revised || patched(localStartRecordPatch);
  const ctx = createContext(input, stateOf(input, startedAt(input, localStartRecord)));
  registerHandlers(ctx);
  const onTimeSla = localStartRecord || patched(onTimeSlaPatch);
  if (!input.carried) await createRecord(ctx, localStartRecord);
  return run(ctx, onTimeSla);
}

/** Instances keep a timer for their own SLA moments; histories recorded before left them to the sweep. */
const onTimeSlaPatch = 'on-time-sla';
/**
 * Instances write their first record with a local activity (and keep on-time SLA timers); histories recorded
 * before used an activity.
 */
const localStartRecordPatch = 'local-start-record';

/**
 * When the instance started, as its records count it. A local write is redone with the inputs of the task that
 * redoes it, so START's own time (the API's clock, never later than the run's start event on Temporal's, whose
 * time the workflow counts in) is the same in every attempt. Runs started without it: the first activation's
 * time under the `local-start-record` patch, the workflow's clock before it.
 */
function startedAt(input: InstanceInput, localStartRecord: boolean): number {
  if (input.startedAt !== undefined) return Math.min(input.startedAt, workflowInfo().startTime.getTime());
  return localStartRecord ? workflowInfo().runStartTime.getTime() : Date.now();
}

function stateOf(input: InstanceInput, startedMs: number): InstanceState {
  if (input.carried) return InstanceState.fromCarried(input.carried, input.definition);
  let state: string;
  try {
    state = initialState(input.definition, input.initialState);
  } catch (error) {
    refuse('INVALID_STATE', (error as Error).message);
  }
  return InstanceState.fromInput(input, state, startedMs);
}

/**
 * A new instance: its header, first step line, and the timers and tasks of its first state, in one transaction.
 * `local`: run by this worker within the first workflow task, so START costs one workflow task instead of three
 * trips through Temporal. Only this write is local: it is one idempotent insert of ids the workflow chose and of
 * times counted from START, so a worker dying before the task completes leaves nothing another worker's
 * redo of the task would trip over or write differently. A sequence of writes in one task (a timer's guarded
 * claim, its action, its settling) would be redone from its start with the database already at its end.
 */
async function createRecord(ctx: InstanceContext, local: boolean): Promise<void> {
  const { input, state } = ctx;
  const { snapshot } = state;
  state.announce(input);
  const startedMs = Date.parse(snapshot.created_at);
  const { timersSet, tasksCreated } = state.active ? onEnter(ctx.definition, snapshot.instance_id, snapshot.current_state, startedMs, state.workCalendar) : { timersSet: [], tasksCreated: [] };
  const records = local ? proxyLocalActivities<Pick<RecordActivities, 'createInstanceRecord'>>(persistenceOptions) : ctx.acts.records;
  await records.createInstanceRecord.executeWithOptions({ summary: `persist start in ${snapshot.current_state}` }, [{
    snapshot,
    stepId: uuid4(),
    actorUserId: input.actor.userId,
    actorRole: input.actor.roles[0] ?? null,
    correlationId: input.correlationId,
    requestHash: input.requestHash,
    timersSet,
    tasksCreated,
    sla: { duration_ms: state.slaClock().durationMs, check_at: nextSlaCheck(state.slaClock()) },
  }]);
  state.setCreated(timersSet, tasksCreated);
}

/**
 * Fires timers when due, and (`onTimeSla`) records SLA levels when due; lives until a terminal state and settled
 * effects; continues as new when history grows. Each exit test is also a wake-up condition, so the loop never
 * spins on a condition already true; each SLA moment is looked at once (`looked`), whatever its check answers.
 */
async function run(ctx: InstanceContext, onTimeSla: boolean): Promise<InstanceSnapshot> {
  const { input, state } = ctx;
  const historyTooLong = () => workflowInfo().continueAsNewSuggested || (input.historyLimit !== undefined && workflowInfo().historyLength > input.historyLimit);
  const done = () => !state.active && state.pendingEffects === 0 && allHandlersFinished();
  const rollOver = () => historyTooLong() && state.pendingEffects === 0;
  const looked = new Set<number>();
  const slaDue = () => state.slaMoments().filter((m) => !looked.has(m));
  const nextMoment = () => (onTimeSla ? Math.min(state.nextDeadline(), ...slaDue()) : state.nextDeadline());
  for (;;) {
    if (done()) return state.snapshot;
    if (rollOver()) break;
    const next = nextMoment();
    // A change of the SLA (resume, recalc, a new task) moves the next moment without waking the timer loop.
    const wakeUp = () => state.woken || done() || rollOver() || (onTimeSla && nextMoment() !== next);
    if (next === Infinity) await condition(wakeUp);
    else await condition(wakeUp, Math.max(1, next - Date.now()));
    state.clearWake();
    if (state.active && !state.paused && state.dueTimers(Date.now()).length) await ctx.serialize(() => fireDue(ctx));
    const now = Date.now();
    const due = onTimeSla ? slaDue().filter((m) => m <= now) : [];
    if (due.length) {
      for (const m of due) looked.add(m);
      await checkDueMoments(ctx, now);
    }
  }
  await condition(allHandlersFinished);
  return continueAsNew<typeof instanceWorkflow>({ ...input, carried: state.toCarried() });
}
