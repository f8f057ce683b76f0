import type { Db } from '../db/pool';
import { persistenceActivities } from './persistence';

export interface ActivityDeps {
  db: Db;
}

/** Every activity the instance workflow may call, bound to this process's dependencies. */
export function createActivities({ db }: ActivityDeps) {
  return { ...persistenceActivities(db) };
}

export type HeraActivities = ReturnType<typeof createActivities>;
