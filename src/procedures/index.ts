import { definitionsList } from './definitions/list';
import { registerDefinition } from './definitions/register';
import { teamPut, userPut } from './directory/put';
import { advance } from './instance/advance';
import { start } from './instance/start';
import { instancesList } from './query/instancesList';
import { taskClaim, taskComplete, taskCreate, taskEscalate } from './task/tasks';
import { timerCancel, timerFire, timerSet } from './timer/timers';
import type { ProcedureImplementation } from './types';

/** Every procedure implementation; each has a contract in procedures/. */
export const implementations = [
  start,
  advance,
  instancesList,
  registerDefinition,
  definitionsList,
  userPut,
  teamPut,
  timerSet,
  timerCancel,
  timerFire,
  taskCreate,
  taskClaim,
  taskComplete,
  taskEscalate,
] as unknown as readonly ProcedureImplementation[];
