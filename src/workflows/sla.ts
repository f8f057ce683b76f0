/**
 * The sweep's tiers as pure functions, shared by the instance workflow (which decides) and the sweep's dry
 * runs (which only count): SLA warnings, SLA breach escalation levels and overdue-task levels.
 */
import type { NewNotification } from '../domain/notification';

const hourMs = 3_600_000;

/** Warnings when this fraction of the SLA has elapsed (pauses excluded: the deadline moves with them). */
export const warningTiers = [0.5, 0.75] as const;
/** Breach escalation levels by time past the deadline, and who each one tells. */
export const breachTiers = [
  { afterMs: 0, recipient: 'owner' },
  { afterMs: 2 * hourMs, recipient: 'owner_manager' },
  { afterMs: 6 * hourMs, recipient: 'operations_team' },
] as const;
/** Overdue tasks are escalated this long past their due time. */
export const overdueTaskTiersMs = [hourMs, 4 * hourMs] as const;

export const alertCodes = { slaWarning: 'HERA.COMMS.ALERT.SLA.WARNING.V1', slaBreach: 'HERA.COMMS.ALERT.SLA.BREACH.V1', taskOverdue: 'HERA.COMMS.ALERT.TASK.OVERDUE.V1' } as const;

/** What an instance knows about its SLA: the (pause-moved) deadline, its length, and the levels recorded. */
export interface SlaClock {
  slaAt: string | null;
  durationMs: number | null;
  warningLevel: number;
  escalationLevel: number;
  /** On a business calendar: the warning tiers' moments, fractions of working time rather than of wall-clock time. */
  warningsAt?: string[];
}

/** The moments each level is reached: warnings first, then breach levels; empty without a deadline. */
export function thresholds(clock: SlaClock): { warnings: number[]; breaches: number[] } {
  if (!clock.slaAt) return { warnings: [], breaches: [] };
  const deadline = Date.parse(clock.slaAt);
  const duration = clock.durationMs;
  return {
    warnings: clock.warningsAt ? clock.warningsAt.map((at) => Date.parse(at)) : duration ? warningTiers.map((f) => deadline - (1 - f) * duration) : [],
    breaches: breachTiers.map((t) => deadline + t.afterMs),
  };
}

export interface SlaDecision {
  warningLevel: number;
  escalationLevel: number;
  /** The warning tier to announce (only the highest one reached, and none once breached). */
  warn: number | null;
  /** Every breach level newly reached, each announced to its own recipient. */
  escalate: number[];
  changed: boolean;
}

/** The levels an instance has reached at `asOfMs`; levels only rise (an SLA recalculation resets them). */
export function slaDecision(clock: SlaClock, asOfMs: number): SlaDecision {
  const { warnings, breaches } = thresholds(clock);
  const reached = (moments: number[]) => moments.filter((m) => asOfMs >= m).length;
  const escalationLevel = Math.max(clock.escalationLevel, reached(breaches));
  const warningLevel = Math.max(clock.warningLevel, escalationLevel > 0 ? warnings.length : reached(warnings));
  const escalate: number[] = [];
  for (let level = clock.escalationLevel + 1; level <= escalationLevel; level += 1) escalate.push(level);
  const warn = escalationLevel === 0 && warningLevel > clock.warningLevel ? warningLevel : null;
  return { warningLevel, escalationLevel, warn, escalate, changed: warningLevel > clock.warningLevel || escalationLevel > clock.escalationLevel };
}

/** When the next level falls due (the sweep selects instances by this moment); null when none is left. */
export function nextSlaCheck(clock: SlaClock): string | null {
  const { warnings, breaches } = thresholds(clock);
  const pending = [...(clock.escalationLevel > 0 ? [] : warnings.slice(clock.warningLevel)), ...breaches.slice(clock.escalationLevel)];
  return pending.length ? new Date(Math.min(...pending)).toISOString() : null;
}

/** The overdue level of a task with this due time at `asOfMs` (0 = not yet one hour late). */
export function overdueLevel(dueAt: string | null, asOfMs: number): number {
  if (!dueAt) return 0;
  const due = Date.parse(dueAt);
  return overdueTaskTiersMs.filter((after) => asOfMs >= due + after).length;
}

/** When a task at `level` reaches its next overdue level; null without a due time or past the last one. */
export function nextOverdueCheck(dueAt: string | null, level: number): string | null {
  if (!dueAt || level >= overdueTaskTiersMs.length) return null;
  return new Date(Date.parse(dueAt) + overdueTaskTiersMs[level]).toISOString();
}

const hours = (ms: number) => Math.round((ms / hourMs) * 100) / 100;

export interface SlaNoticeSubject {
  instance_id: string;
  definition_code: string;
  sla_at: string;
}

/** An SLA warning notice; its key makes it one per instance, deadline and tier. */
export function slaWarningNotice(instance: SlaNoticeSubject, tier: number, recipient: Record<string, unknown>): NewNotification {
  const percent = warningTiers[tier - 1] * 100;
  return {
    idemKey: `sla:${instance.instance_id}:${instance.sla_at}:warning:${tier}`,
    instanceId: instance.instance_id,
    template: 'sla_warning',
    recipient,
    payload: {
      alert_code: alertCodes.slaWarning,
      subject: `SLA warning: ${instance.definition_code} ${instance.instance_id}`,
      body: `${percent}% of the SLA of instance ${instance.instance_id} has elapsed; it is due at ${instance.sla_at}.`,
      params: { ...instance, warning_level: tier, percent },
    },
  };
}

/** An SLA breach notice for one escalation level; one per instance, deadline and level. */
export function slaBreachNotice(instance: SlaNoticeSubject, level: number, recipient: Record<string, unknown>, asOfMs: number): NewNotification {
  const breachHours = hours(asOfMs - Date.parse(instance.sla_at));
  return {
    idemKey: `sla:${instance.instance_id}:${instance.sla_at}:breach:${level}`,
    instanceId: instance.instance_id,
    template: 'sla_breach',
    recipient,
    payload: {
      alert_code: alertCodes.slaBreach,
      subject: `SLA breach: ${instance.definition_code} ${instance.instance_id}`,
      body: `Instance ${instance.instance_id} is ${breachHours} hours past its SLA.`,
      params: { ...instance, escalation_level: level, escalated_to: breachTiers[level - 1].recipient, breach_hours: breachHours },
    },
  };
}

export interface TaskNoticeSubject {
  task_id: string;
  instance_id: string;
  title: string;
  due_at: string;
  assignee: string;
}

/** A task-overdue notice for one overdue level; one per task and level. */
export function taskOverdueNotice(task: TaskNoticeSubject, level: number, recipient: Record<string, unknown>, asOfMs: number): NewNotification {
  const overdueHours = hours(asOfMs - Date.parse(task.due_at));
  return {
    idemKey: `task-overdue:${task.task_id}:${level}`,
    instanceId: task.instance_id,
    template: 'task_overdue',
    recipient,
    payload: {
      alert_code: alertCodes.taskOverdue,
      subject: `Task overdue: ${task.title}`,
      body: `Task ${task.task_id} for ${task.assignee} is ${overdueHours} hours late.`,
      params: { task_id: task.task_id, task_title: task.title, assignee: task.assignee, due_at: task.due_at, overdue_level: level, overdue_hours: overdueHours },
    },
  };
}
