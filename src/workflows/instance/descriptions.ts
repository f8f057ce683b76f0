/**
 * What the Temporal UI says of each handler of the instance workflow (its Send Signal, Update and Query
 * dialogs). Signals are the operator's way in from the UI: each shows the payload to type.
 */
export const signalDescriptions = {
  pause: 'Pause the instance: stops its timers, SLA and task due times. Payload: {"actor": "ops@example.com", "reason": "waiting for the customer"}',
  resume: 'Resume a paused instance: timers, SLA and task due times move later by the paused time. Payload: {"actor": "ops@example.com", "reason": "customer answered"}',
  reassign: 'Give the instance to a team or a user (one of the two). Payload: {"actor": "ops@example.com", "owner_team": "finance", "reason": "holiday cover"}',
} as const;

export const updateDescriptions = {
  awaitCreated: 'START: answers once the instance record is written (the API sends it with the start).',
  advance: 'ADVANCE: moves the instance along a transition of its definition (the API sends it; use POST /api/v1/workflows/:id/advance).',
  setTimer: 'TIMER.SET: arms a named timer (the API sends it).',
  cancelTimer: 'TIMER.CANCEL: cancels pending timers by id or name (the API sends it).',
  fireTimer: 'TIMER.FIRE: fires a pending timer now (the API and the sweep send it).',
  createTask: 'TASK.CREATE: opens a task on the instance (the API sends it).',
  claimTask: 'TASK.CLAIM: the caller takes an open task (the API sends it).',
  completeTask: 'TASK.COMPLETE: closes a task with its outcome (the API sends it).',
  escalateTask: 'TASK.ESCALATE: escalates a task to a role or user (the API sends it).',
  escalateOverdueTask: 'Sweep: escalates a task past its due time by one overdue level.',
  pause: 'PAUSE with an answer (the API sends it; from the UI use the pause signal).',
  resume: 'RESUME with an answer (the API sends it; from the UI use the resume signal).',
  reassign: 'REASSIGN with an answer (the API sends it; from the UI use the reassign signal).',
  slaRecalc: 'SLA.RECALC: a new SLA deadline, its levels counted again (the API sends it).',
  reassignTask: 'TASK.REASSIGN: gives a task to another role or user (the API sends it).',
  checkSla: 'Sweep: records SLA warnings and breach escalations due at as_of.',
  retryEffects: "EFFECT.RETRY: runs a step's permanently failed effects again (the API sends it).",
  cancel: 'CANCEL: ends the instance (status cancelled), its pending timers and open tasks cancelled (POST /api/v1/workflows/:id/cancel).',
  move: 'MOVE: jumps to any state of the definition, no guards or effects (POST /api/v1/workflows/:id/move).',
  migrate: 'MIGRATE: re-pins the instance to another version of its definition, or answers the plan (POST /api/v1/workflows/:id/migrate).',
} as const;

export const queryDescriptions = {
  snapshot: 'The instance as GET /api/v1/workflows/:id shows it (state, pause, owner, SLA, context).',
} as const;
