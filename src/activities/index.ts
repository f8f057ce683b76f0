import type { Db } from '../db/pool';
import { effectActivities } from './effects';
import { persistenceActivities } from './persistence';
import { recordActivities } from './records';

export interface ActivityDeps {
  db: Db;
}

/** Every activity the workflows may call, bound to this process's dependencies. */
export function createActivities({ db }: ActivityDeps) {
  return { ...persistenceActivities(db), ...effectActivities(db), ...recordActivities(db) };
}

export type HeraActivities = ReturnType<typeof createActivities>;
