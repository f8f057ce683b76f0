import { ApplicationFailure } from '@temporalio/activity';
import { DatabaseError } from 'pg';

/** The HERA code of a change the database refuses for what it is, not for when it was tried. */
export const persistenceRejected = 'PERSISTENCE_REJECTED';

/**
 * SQLSTATE classes 22 (data exception: a value out of range, an invalid date or text) and 23 (integrity
 * constraint violation: a duplicate key, a failed check) answer the same to every retry.
 */
const permanentSqlState = /^2[23]/;

/** `error` as a non-retryable failure naming the refusal, when the database refused for good; else unchanged. */
export function asPermanent(error: unknown): unknown {
  if (!(error instanceof DatabaseError) || !error.code || !permanentSqlState.test(error.code)) return error;
  return ApplicationFailure.nonRetryable(`the database refused the change: ${error.message} (SQLSTATE ${error.code})`, persistenceRejected, {
    sqlstate: error.code,
    ...(error.constraint ? { constraint: error.constraint } : {}),
    ...(error.column ? { column: error.column } : {}),
  });
}

type Activity = (...args: never[]) => Promise<unknown>;

/** The same activities, each failing without retries when the database refused its change for good. */
export function failingPermanently<A extends Record<string, Activity>>(activities: A): A {
  const wrapped: Record<string, Activity> = {};
  for (const [name, activity] of Object.entries(activities)) {
    wrapped[name] = (...args) =>
      activity(...args).catch((error: unknown) => {
        throw asPermanent(error);
      });
  }
  return wrapped as A;
}
