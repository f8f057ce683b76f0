import { actorLabel, systemActorId, type Actor } from '../../domain/actor';
import { retryStepEffects } from '../effectRetry';
import { iso } from '../machine';
import type {
  AdminCommand,
  EffectRetryAnswer,
  EffectRetryRequest,
  OperatorSignal,
  PauseAnswer,
  ReassignAnswer,
  ReassignCommand,
  ResumeAnswer,
  SlaRecalcAnswer,
  SlaRecalcRequest,
} from '../messages';
import { nextSlaCheck } from '../sla';
import { calendarSla } from '../slaCalendar';
import { pauseCheck, reassignCheck, refusalOf, resumeCheck, slaRecalcCheck } from './checks';
import type { InstanceContext } from './context';
import { requireInDirectory } from './directory';
import { auditOf, recordNote } from './notes';

/** Operator commands: pause, resume, reassign, SLA recalculation, effect retry. */

export const procedures = {
  pause: 'HERA.UNIV.WF.INSTANCE.PAUSE.V1',
  resume: 'HERA.UNIV.WF.INSTANCE.RESUME.V1',
  reassign: 'HERA.UNIV.WF.INSTANCE.REASSIGN.V1',
} as const;

/**
 * The command as this version reads it. An API process of the previous version (still up during a rolling
 * deploy), and the histories of Updates it sent, name the caller by user id alone.
 */
function current<C extends AdminCommand>(sent: C): C {
  const actor: unknown = sent.actor;
  return typeof actor === 'string' ? { ...sent, actor: { userId: actor, roles: [] } } : sent;
}

export async function pause(ctx: InstanceContext, sent: AdminCommand): Promise<PauseAnswer> {
  const { state } = ctx;
  const command = current(sent);
  pauseCheck(state);
  const by = actorLabel(command.actor);
  state.setPaused(Date.now(), command.reason ?? null, by);
  const { paused_at, pause_reason } = state.snapshot;
  await recordNote(ctx, 'PAUSE', command, {}, { paused: true, paused_at, pause_reason, paused_by: by }, { procedure: procedures.pause });
  return { instance_id: state.snapshot.instance_id, paused: true, paused_at: paused_at!, pause_reason: pause_reason ?? null, paused_by: by };
}

/** Ends the pause; the paused time moves every clock of the instance (see `InstanceState.setResumed`). */
export async function resume(ctx: InstanceContext, sent: AdminCommand): Promise<ResumeAnswer> {
  const { state } = ctx;
  const command = current(sent);
  resumeCheck(state);
  const now = Date.now();
  const previousSla = state.snapshot.sla_at;
  const { pausedMs, pausedWorkingMs, rearmed, tasksMoved } = state.setResumed(now);
  const by = actorLabel(command.actor);
  const slaAt = state.snapshot.sla_at;
  const at = await recordNote(
    ctx,
    'RESUME',
    command,
    // On a calendar the deadline moved by the working time the pause took, not by its length; the deadline before
    // and after tell how far it moved (an SLA's explanation shows it).
    {
      pause_duration_seconds: pausedMs / 1000,
      timers_rearmed: rearmed,
      ...(pausedWorkingMs !== undefined ? { pause_working_seconds: pausedWorkingMs / 1000 } : {}),
      ...(previousSla ? { previous_sla: previousSla, new_sla: slaAt } : {}),
    },
    {
      paused: false,
      paused_at: null,
      pause_reason: null,
      paused_by: null,
      resumed_at: iso(now),
      resumed_by: by,
      sla_at: slaAt,
      sla_check_at: nextSlaCheck(state.slaClock()),
      pause_total_ms: state.pause.totalMs,
      ...(state.calendar ? { sla_warnings_at: state.snapshot.sla_warnings_at, pause_working_ms: state.pause.workingMs ?? 0 } : {}),
    },
    { timersRewritten: rearmed, tasksUpdated: tasksMoved, procedure: procedures.resume },
  );
  return { instance_id: state.snapshot.instance_id, paused: false, resumed_at: at, resumed_by: by, pause_duration_seconds: pausedMs / 1000, sla_at: slaAt, timers_rearmed: rearmed };
}

export async function reassign(ctx: InstanceContext, sent: ReassignCommand): Promise<ReassignAnswer> {
  const { state } = ctx;
  const command = current(sent);
  reassignCheck(state, command);
  await requireInDirectory(ctx, 'team', command.owner_team, 'owner_team');
  await requireInDirectory(ctx, 'userId', command.owner_user_id, 'owner_user_id');
  const previous = { owner_team: state.snapshot.owner_team, owner_user_id: state.snapshot.owner_user_id };
  const owner = { owner_team: command.owner_team ?? null, owner_user_id: command.owner_user_id ?? null };
  state.setOwner(owner);
  const by = actorLabel(command.actor);
  const at = await recordNote(
    ctx,
    'REASSIGN',
    command,
    { previous_owner: previous, new_owner: owner },
    { ...owner, reassigned_at: iso(Date.now()), reassigned_by: by },
    { procedure: procedures.reassign },
  );
  return { instance_id: state.snapshot.instance_id, ...owner, reassigned_at: at, reassigned_by: by };
}

/**
 * A new deadline: created + SLA hours + the completed pauses (a pause in progress is added when it ends). On a
 * calendar, in working time, re-pinned to the calendar's current version.
 */
export async function recalculateSla(ctx: InstanceContext, sent: SlaRecalcRequest): Promise<SlaRecalcAnswer> {
  const { state } = ctx;
  const request = current(sent);
  const hours = slaRecalcCheck(ctx, request);
  const createdMs = Date.parse(state.snapshot.created_at);
  const previous = state.snapshot.sla_at;
  const durationMs = Math.round(hours * 3_600_000);
  const pinned = state.calendar;
  const calendar = pinned && ((await ctx.acts.calendars.pinCurrentCalendar({ organizationId: ctx.organizationId, code: pinned.code })) ?? pinned);
  const onCalendar = calendar ? { calendar, sla: calendarSla(calendar, createdMs, durationMs, state.pause.workingMs ?? 0) } : undefined;
  const newSla = onCalendar?.sla.sla_at ?? iso(createdMs + hours * 3_600_000 + state.pause.totalMs);
  state.setSla(newSla, durationMs, onCalendar);
  // The tasks' and timers' calendars too: tasks and timers set from now on count in their current versions.
  const codes = state.workCalendarCodes;
  if (codes.length) state.pinCalendars(await ctx.acts.calendars.pinCurrentCalendars({ organizationId: ctx.organizationId, codes }), true);
  const workVersions = Object.fromEntries(codes.map((code) => [code, state.workCalendar(code)!.version]));
  const pauseHours = state.pause.totalMs / 3_600_000;
  const at = await recordNote(
    ctx,
    'SLA_RECALC',
    request,
    { previous_sla: previous, new_sla: newSla, pause_time_hours: pauseHours, sla_hours: hours, ...(state.calendar ? { calendar_version: state.calendar.version } : {}), ...(codes.length ? { work_calendar_versions: workVersions } : {}) },
    {
      sla_at: newSla,
      sla_recalc_at: iso(Date.now()),
      sla_duration_ms: durationMs,
      sla_warning_level: 0,
      sla_escalation_level: 0,
      sla_escalated_at: null,
      sla_check_at: nextSlaCheck(state.slaClock()),
      ...(state.calendar ? { sla_calendar_version: state.calendar.version, sla_warnings_at: state.snapshot.sla_warnings_at } : {}),
    },
    { procedure: 'HERA.UNIV.WF.INSTANCE.SLA.RECALC.V1' },
  );
  return { instance_id: state.snapshot.instance_id, previous_sla_at: previous, new_sla_at: newSla, pause_time_hours: pauseHours, sla_recalc_at: at };
}

/**
 * Re-runs a step's failed effects. The retry itself runs beside the instance's other commands, not in its
 * serializer: with the definition's retry policy it can take minutes, and it changes no instance state (each
 * effect is guarded in the database); only its step note is serialized.
 */
export async function retryEffects(ctx: InstanceContext, request: EffectRetryRequest): Promise<EffectRetryAnswer> {
  const answer = await retryStepEffects(ctx.acts, ctx.organizationId, request);
  await ctx.serialize(() =>
    recordNote(ctx, 'EFFECT_RETRY', { actor: request.actor, audit: request.audit, bulk_job_id: request.bulk_job_id }, { retried_step_id: request.step_id, ...answer }, {}, { procedure: 'HERA.UNIV.WF.EFFECT.RETRY.V1' }),
  );
  return answer;
}

/** An operator in the Temporal UI: named as they typed it; a user id when they typed one, else the system. */
function operatorActor(typed: unknown): Actor {
  const name = String(typed ?? 'temporal-ui');
  const userId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(name) ? name : systemActorId;
  return { userId, roles: [], name };
}

/**
 * A Temporal UI signal runs the same command as its Update, audited by the workflow. Signals cannot answer:
 * a refused one is audited with its reason and otherwise ignored.
 */
export function fromSignal<P extends OperatorSignal>(
  ctx: InstanceContext,
  procedure: string,
  work: (ctx: InstanceContext, command: AdminCommand & Omit<P, 'actor'>) => Promise<unknown>,
): (payload: P) => void {
  return (payload) =>
    void ctx.serialize(async () => {
      const command = { ...payload, actor: operatorActor(payload?.actor), audit: true };
      try {
        await work(ctx, command);
      } catch (error) {
        // A refusal, or a change the database refused for good: audited, never an unhandled rejection of the run.
        const refusal = refusalOf(error);
        if (!refusal) throw error;
        await ctx.acts.records.recordAudit({ organizationId: ctx.organizationId, event: auditOf(ctx, procedure, command, 'REFUSED', refusal.type ?? null) });
      }
    });
}
