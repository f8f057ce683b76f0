import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Db } from '../db/pool';
import { adminActivities } from './admin';
import { bulkActivities } from './bulk';
import { failingPermanently } from './databaseRejection';
import { effectActivities } from './effects';
import { persistenceActivities } from './persistence';
import { recordActivities } from './records';
import { sweepActivities } from './sweep';
import { timerAndTaskActivities } from './timersAndTasks';
import { egressPolicy } from '../webhooks/egressPolicy';

export interface ActivityDeps {
  db: Db;
  /** The sweep's and bulk jobs' activities talk to instance workflows through it. */
  temporal: Client;
  config: Config;
}

/** Every activity the workflows may call, bound to this process's dependencies; a refusal for good is not retried. */
export function createActivities({ db, temporal, config }: ActivityDeps) {
  return failingPermanently({
    ...persistenceActivities(db),
    ...effectActivities({ db, webhookEgress: egressPolicy(config.HERA_WEBHOOK_ALLOW) }),
    ...recordActivities(db),
    ...timerAndTaskActivities(db),
    ...adminActivities(db),
    ...sweepActivities({ db, temporal, config }),
    ...bulkActivities({ db, temporal, config }),
  });
}

export type HeraActivities = ReturnType<typeof createActivities>;
