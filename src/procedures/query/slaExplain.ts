import { z } from 'zod';
import { type PinnedVersion, pinnedVersions, withWorkingHoursLeft, workingIntervalsOf, workingMs } from '../../calendars/slaWorkingTime';
import { findInstanceSla, listSlaNotes, type InstanceSla, type SlaNote } from '../../db/queries/slaExplanation';
import { Refusal } from '../../errors';
import { thresholds, warningTiers } from '../../workflows/sla';
import { defineProcedure } from '../types';

/** Working intervals listed at most: a deadline weeks away has a few dozen. */
const intervalsLimit = 200;

const iso = (at: Date | number) => new Date(at).toISOString();
const isoOrNull = (at: Date | null) => (at ? at.toISOString() : null);

/**
 * Each pause from its notes: a pause still running counts up to now and has not moved the deadline yet.
 * `moved_deadline_by_seconds` is null for a pause whose end did not record the deadline before and after.
 */
function pausesOf(notes: SlaNote[], pinned: PinnedVersion | null, nowMs: number) {
  const pauses: Array<{ paused_at: string; resumed_at: string | null; duration_seconds: number; working_seconds: number | null; moved_deadline_by_seconds: number | null }> = [];
  for (const note of notes) {
    if (note.note === 'PAUSE') {
      const from = note.created_at.getTime();
      pauses.push({
        paused_at: iso(from),
        resumed_at: null,
        duration_seconds: (nowMs - from) / 1000,
        working_seconds: pinned ? workingMs(pinned, from, nowMs) / 1000 : null,
        moved_deadline_by_seconds: null,
      });
    } else if (note.note === 'RESUME' && pauses.length > 0) {
      Object.assign(pauses[pauses.length - 1], {
        resumed_at: iso(note.created_at),
        duration_seconds: note.pause_duration_seconds,
        working_seconds: note.pause_working_seconds,
        moved_deadline_by_seconds: note.previous_sla && note.new_sla ? (note.new_sla.getTime() - note.previous_sla.getTime()) / 1000 : null,
      });
    }
  }
  return pauses;
}

/**
 * Each tier's moment and when a check first reached it. A recalculation counts the levels again from zero, so
 * only the checks since the last one count; one check may reach several levels at once.
 */
function tiersOf(sla: InstanceSla, notes: SlaNote[]) {
  if (!sla.sla_at) return [];
  const { warnings, breaches } = thresholds({
    slaAt: sla.sla_at.toISOString(),
    durationMs: sla.sla_duration_ms,
    warningLevel: sla.sla_warning_level,
    escalationLevel: sla.sla_escalation_level,
    ...(sla.sla_warnings_at ? { warningsAt: sla.sla_warnings_at } : {}),
  });
  const recalculated = notes.filter((n) => n.note === 'SLA_RECALC').pop()?.line_number ?? 0;
  const checks = notes.filter((n) => (n.note === 'SLA_WARNING' || n.note === 'SLA_ESCALATION') && n.line_number > recalculated);
  const firedAt = (reached: (note: SlaNote) => boolean) => isoOrNull(checks.find(reached)?.created_at ?? null);
  return [
    ...warnings.map((at, i) => ({ tier: `warning_${warningTiers[i] * 100}`, due_at: iso(at), fired_at: firedAt((n) => (n.warning_level ?? 0) > i) })),
    ...breaches.map((at, i) => ({ tier: `breach_${i + 1}`, due_at: iso(at), fired_at: firedAt((n) => (n.escalation_level ?? 0) > i) })),
  ];
}

/** SLA.GET: how an instance's deadline came about, from its header and its SLA notes. */
export const instanceSlaGet = defineProcedure({
  smartCode: 'HERA.UNIV.WF.INSTANCE.SLA.GET.V1',
  input: z.strictObject({ instance_id: z.guid() }),
  async handle(input, { caller, services }) {
    const org = caller.organizationId;
    const nowMs = Date.now();
    return services.db.withOrg(org, async (sql) => {
      const sla = await findInstanceSla(sql, org, input.instance_id);
      if (!sla) throw new Refusal('INSTANCE_NOT_FOUND', 'no such instance', { instance_id: input.instance_id });
      const notes = await listSlaNotes(sql, org, input.instance_id);
      const versions = pinnedVersions(sql, org);
      const pinned = sla.sla_calendar && sla.sla_calendar_version !== null ? await versions(sla.sla_calendar, sla.sla_calendar_version) : null;
      const [{ sla_working_hours_remaining }] = await withWorkingHoursLeft([sla], versions, nowMs);
      const intervals = pinned && sla.sla_at ? workingIntervalsOf(pinned, sla.created_at.getTime(), sla.sla_at.getTime(), intervalsLimit) : { intervals: [], truncated: false };
      return {
        instance_id: sla.instance_id,
        sla_at: isoOrNull(sla.sla_at),
        sla_duration_hours: sla.sla_duration_ms === null ? null : sla.sla_duration_ms / 3_600_000,
        calendar: pinned ? { code: pinned.code, version: pinned.version, time_zone: pinned.time_zone } : null,
        working_hours_remaining: sla_working_hours_remaining,
        working_intervals: intervals.intervals,
        working_intervals_truncated: intervals.truncated,
        pauses: pausesOf(notes, pinned, nowMs),
        recalcs: notes
          .filter((n) => n.note === 'SLA_RECALC')
          .map((n) => ({
            at: iso(n.created_at),
            previous_sla: isoOrNull(n.previous_sla),
            new_sla: isoOrNull(n.new_sla),
            sla_hours: n.sla_hours,
            ...(n.calendar_version !== null ? { calendar_version: n.calendar_version } : {}),
          })),
        tiers: tiersOf(sla, notes),
        levels: { warning: sla.sla_warning_level, escalation: sla.sla_escalation_level },
      };
    });
  },
});
