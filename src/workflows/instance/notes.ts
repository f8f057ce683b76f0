import { uuid4 } from '@temporalio/workflow';
import { actorLabel } from '../../domain/actor';
import type { NewNotification } from '../../domain/notification';
import type { TaskRecord } from '../../domain/task';
import type { TimerRecord } from '../../domain/timer';
import { iso } from '../machine';
import type { AdminCommand, InstanceStatus } from '../messages';
import type { InstanceContext } from './context';

/**
 * The audit event of an operator command the workflow audits itself (a signal or a bulk job's command, which no
 * procedure ran). The job id is added only when there is one, so older histories' activity inputs stay as they were.
 */
export function auditOf({ state }: InstanceContext, procedure: string, command: AdminCommand, outcome: 'SUCCESS' | 'REFUSED', errorCode: string | null) {
  return {
    event_id: uuid4(),
    procedure_code: procedure,
    outcome,
    error_code: errorCode,
    actor_user_id: command.actor.userId,
    actor: actorLabel(command.actor),
    instance_id: state.snapshot.instance_id,
    reason: command.reason ?? null,
    correlation_id: null,
    source: command.bulk_job_id ? ('bulk' as const) : ('signal' as const),
    ...(command.bulk_job_id ? { bulk_job_id: command.bulk_job_id } : {}),
  };
}

export interface NoteExtras {
  procedure: string;
  timersRewritten?: Array<{ timer_id: string; fire_at: string }>;
  tasksUpdated?: TaskRecord[];
  notifications?: NewNotification[];
  /** A command that changes the state or status (CANCEL, MOVE, MIGRATE): written with its line, in one transaction. */
  change?: StateChangeNote;
}

export interface StateChangeNote {
  /** The line's `to` (default: the current state) and the header's status (default: unchanged). */
  to?: string;
  status?: InstanceStatus;
  stepId?: string;
  timersCancelled?: TimerRecord[];
  cancelReason?: string;
  timersSet?: TimerRecord[];
  tasksCreated?: TaskRecord[];
}

/**
 * Writes a step note that does not move the state (an operator command, an SLA level, a task reassignment)
 * with its header change, in one transaction; audited here when the command asks for it. Answers its time.
 */
export async function recordNote(
  ctx: InstanceContext,
  note: string,
  command: AdminCommand,
  details: Record<string, unknown>,
  headerPatch: Record<string, unknown>,
  extra: NoteExtras,
): Promise<string> {
  const { acts, organizationId, state } = ctx;
  const at = iso(Date.now());
  const actorUserId = command.actor.userId;
  const change = extra.change ?? {};
  await acts.records.recordAdminChange.executeWithOptions({ summary: `persist ${extra.procedure} in ${state.snapshot.current_state}` }, [{
    organizationId,
    instanceId: state.snapshot.instance_id,
    stepId: change.stepId ?? uuid4(),
    lineNumber: state.nextLine,
    at,
    actorUserId,
    lineData: {
      from: state.snapshot.current_state,
      to: change.to ?? state.snapshot.current_state,
      by: null,
      actor_user_id: actorUserId,
      actor: actorLabel(command.actor),
      note,
      reason: command.reason ?? null,
      ...details,
      effects_failed: [],
      guards_executed: [],
      effects_queued: [],
      timestamp: at,
    },
    headerPatch,
    status: change.status ?? state.snapshot.status,
    timersRewritten: extra.timersRewritten ?? [],
    tasksUpdated: extra.tasksUpdated ?? [],
    notifications: extra.notifications ?? [],
    ...(extra.change
      ? {
          timersCancelled: (change.timersCancelled ?? []).map((t) => t.timer_id),
          cancelReason: change.cancelReason ?? null,
          timersSet: change.timersSet ?? [],
          tasksCreated: change.tasksCreated ?? [],
        }
      : {}),
    audit: command.audit ? auditOf(ctx, extra.procedure, command, 'SUCCESS', null) : null,
  }]);
  state.appendStep(at);
  return at;
}
