import { proxyActivities, type ActivityInterfaceFor, type ActivityOptions } from '@temporalio/workflow';
import type { HeraActivities } from '../../activities';
import type { PinnedDefinition } from '../../definitions/schema';
import { effectRetry, type EffectRetry } from '../machine';
import type { InstanceInput } from '../messages';
import type { InstanceState } from './state';

/** Writes of the instance's own records (header, steps, audit). */
export type RecordActivities = Pick<HeraActivities, 'createInstanceRecord' | 'applyTransition' | 'recordStepNote' | 'recordAdminChange' | 'recordAudit'>;
export type TimerActivities = Pick<HeraActivities, 'recordTimers' | 'moveTimerFromPending' | 'settleTimer'>;
export type TaskActivities = Pick<HeraActivities, 'saveTasks'>;
/** Questions to the organization's directory (who manages whom, does a team exist). */
export type DirectoryActivities = Pick<HeraActivities, 'managerOf' | 'directoryHas'>;
/** The calendars as they are now, for a recalculation to re-pin. */
export type CalendarActivities = Pick<HeraActivities, 'pinCurrentCalendar' | 'pinCurrentCalendars'>;
/** Bookkeeping of effects: a failed one settled, a step's failed ones read, reopened and cleared on retry. */
export type EffectRecordActivities = Pick<HeraActivities, 'settleFailedEffect' | 'failedEffects' | 'reopenEffect' | 'clearFailedEffect'>;
/** Running an effect: the definition's retry policy applies. */
export type EffectActivities = Pick<HeraActivities, 'executeEffect'>;

/** Every activity the instance workflow calls; a stand-in for tests implements exactly these. */
export type InstanceActivities = RecordActivities & TimerActivities & TaskActivities & DirectoryActivities & CalendarActivities & EffectRecordActivities & EffectActivities;

/** The activity proxies: a call may add options of its own, such as the summary the UI's timeline shows. */
export interface InstanceActs {
  records: ActivityInterfaceFor<RecordActivities>;
  timers: ActivityInterfaceFor<TimerActivities>;
  tasks: ActivityInterfaceFor<TaskActivities>;
  directory: ActivityInterfaceFor<DirectoryActivities>;
  calendars: ActivityInterfaceFor<CalendarActivities>;
  effectRecords: ActivityInterfaceFor<EffectRecordActivities>;
  effects: ActivityInterfaceFor<EffectActivities>;
}

/**
 * Persistence retries until the database answers: a change is never dropped because it was down. One attempt
 * is one short transaction (milliseconds), so an attempt whose worker died is retried after 5 s, not after a
 * long timeout; a retry every 10 s at most once the database is back. An abandoned attempt still running in
 * the database (a lock wait) ends with its session or at HERA_DB_STATEMENT_TIMEOUT_MS: attempts are
 * idempotent, so its retry waits for the same locks or finds the work done.
 */
export const persistenceOptions: ActivityOptions = {
  startToCloseTimeout: '5s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' },
};

/**
 * Effects run with the definition's retry policy (or the one an effect retry was given). An attempt may wait a
 * webhook's `timeout_ms` (at most 60 s) and heartbeats meanwhile: a worker that dies mid-effect is noticed in
 * seconds and the effect retried under the same idempotency key.
 */
export const effectOptions = (retry: EffectRetry): ActivityOptions => ({ startToCloseTimeout: '2m', heartbeatTimeout: '5s', retry });

/** Runs work one at a time, in arrival order, across its awaits; `busy` while any is queued or running. */
export interface Serialize {
  <T>(work: () => Promise<T>): Promise<T>;
  readonly busy: boolean;
}

/**
 * Handlers interleave at every `await` (TRAPS): each change to the instance waits for the one before it.
 * `settled` runs after each piece of work, done or failed.
 */
function serializer(settled: () => void): Serialize {
  let tail: Promise<unknown> = Promise.resolve();
  let pending = 0;
  const serialize = <T>(work: () => Promise<T>): Promise<T> => {
    pending += 1;
    const run = tail.then(work);
    // Counted on a side branch: the chain itself keeps the timing recorded histories replay with.
    const done = () => {
      pending -= 1;
      settled();
    };
    run.then(done, done);
    tail = run.catch(() => undefined);
    return run;
  };
  return Object.defineProperty(serialize, 'busy', { get: () => pending > 0 }) as Serialize;
}

/** What every capability of the instance works with. */
export interface InstanceContext {
  input: InstanceInput;
  /** The definition the instance follows now (the state's pin: a migration changes it), never `input.definition`. */
  readonly definition: PinnedDefinition;
  organizationId: string;
  state: InstanceState;
  serialize: Serialize;
  acts: InstanceActs;
}

export function createContext(input: InstanceInput, state: InstanceState): InstanceContext {
  // Every change to the instance runs in the serializer: after each, the UI's current details are redrawn.
  state.showDetails();
  const persistence = proxyActivities<RecordActivities & TimerActivities & TaskActivities & DirectoryActivities & CalendarActivities & EffectRecordActivities>(persistenceOptions);
  return {
    input,
    get definition() {
      return state.definition;
    },
    organizationId: input.organizationId,
    state,
    serialize: serializer(() => state.showDetails()),
    acts: {
      records: persistence,
      timers: persistence,
      tasks: persistence,
      directory: persistence,
      calendars: persistence,
      effectRecords: persistence,
      // Effects run with the retry policy of the definition pinned when they start (a migration changes it).
      get effects() {
        return proxyActivities<EffectActivities>(effectOptions(effectRetry(state.definition)));
      },
    },
  };
}
