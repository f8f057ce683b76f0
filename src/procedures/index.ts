import { effectRetryProcedure } from './admin/effectRetry';
import { instancePause, instanceReassign, instanceResume, instanceSlaRecalc } from './admin/instanceCommands';
import { instanceCancel, instanceMigrate, instanceMove } from './admin/modification';
import { instanceReconcile } from './admin/reconcile';
import { bulkCancel } from './bulk/cancel';
import { bulkGet, bulkItems, bulkList } from './bulk/reads';
import { bulkRetryFailed } from './bulk/retryFailed';
import { bulkStart } from './bulk/start';
import { calendarPut } from './calendars/put';
import { calendarGet, calendarsList } from './calendars/reads';
import { definitionsList } from './definitions/list';
import { registerDefinition } from './definitions/register';
import { teamPut, userPut } from './directory/put';
import { advance } from './instance/advance';
import { start } from './instance/start';
import { auditList } from './query/auditList';
import { instancesList } from './query/instancesList';
import { instanceGet, metricsGet, notificationsList, stepsList, taskGet, tasksList } from './query/reads';
import { instanceSlaGet } from './query/slaExplain';
import { schedulerHealth } from './scheduler/health';
import { schedulerRun } from './scheduler/run';
import { taskClaim, taskComplete, taskCreate, taskEscalate, taskReassign } from './task/tasks';
import { timerCancel, timerFire, timerSet } from './timer/timers';
import type { ProcedureImplementation } from './types';
import { webhookSecretGet, webhookSecretRotate } from './webhooks/signingSecret';

/** Every procedure implementation; each has a contract in procedures/. */
export const implementations = [
  start,
  advance,
  instancesList,
  registerDefinition,
  definitionsList,
  userPut,
  teamPut,
  calendarPut,
  calendarGet,
  calendarsList,
  timerSet,
  timerCancel,
  timerFire,
  taskCreate,
  taskClaim,
  taskComplete,
  taskEscalate,
  taskReassign,
  instancePause,
  instanceResume,
  instanceReassign,
  instanceSlaRecalc,
  instanceReconcile,
  instanceCancel,
  instanceMove,
  instanceMigrate,
  effectRetryProcedure,
  auditList,
  instanceGet,
  instanceSlaGet,
  stepsList,
  tasksList,
  taskGet,
  metricsGet,
  notificationsList,
  schedulerRun,
  schedulerHealth,
  webhookSecretGet,
  webhookSecretRotate,
  bulkStart,
  bulkList,
  bulkGet,
  bulkItems,
  bulkCancel,
  bulkRetryFailed,
] as unknown as readonly ProcedureImplementation[];
