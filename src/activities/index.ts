import type { Db } from '../db/pool';
import { adminActivities } from './admin';
import { effectActivities } from './effects';
import { persistenceActivities } from './persistence';
import { recordActivities } from './records';
import { timerAndTaskActivities } from './timersAndTasks';

export interface ActivityDeps {
  db: Db;
}

/** Every activity the workflows may call, bound to this process's dependencies. */
export function createActivities({ db }: ActivityDeps) {
  return { ...persistenceActivities(db), ...effectActivities(db), ...recordActivities(db), ...timerAndTaskActivities(db), ...adminActivities(db) };
}

export type HeraActivities = ReturnType<typeof createActivities>;
