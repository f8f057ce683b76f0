import type { TaskRecord } from '../../domain/task';
import type { TimerRecord } from '../../domain/timer';
import type { InstanceSnapshot } from '../messages';

/** Markdown cells cannot hold a pipe or a line break; operator text (a pause reason) may. */
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

const slaLevel = ({ sla_warning_level: warning = 0, sla_escalation_level: escalation = 0 }: InstanceSnapshot) =>
  escalation > 0 ? `breached, escalation level ${escalation}` : warning > 0 ? `warning level ${warning}` : 'on time';

/**
 * The instance as the Temporal UI's workflow page shows it ("current details", Markdown): state, pause, owner,
 * SLA, open tasks and pending timers. Pure, so the workflow sets it on every change without touching history.
 */
export function currentDetails(snapshot: InstanceSnapshot, openTasks: TaskRecord[], pendingTimers: TimerRecord[]): string {
  const owner = snapshot.owner_team ? `team ${snapshot.owner_team}` : snapshot.owner_user_id ? `user ${snapshot.owner_user_id}` : 'none';
  // Blank lines between blocks: the UI's Markdown joins single line breaks into one paragraph.
  const blocks = [
    `**State:** ${snapshot.current_state} (${snapshot.status})`,
    snapshot.paused
      ? `**Paused** since ${snapshot.paused_at} by ${snapshot.paused_by ?? 'unknown'}: ${cell(snapshot.pause_reason ?? 'no reason given')}`
      : '**Running** (not paused)',
    `**Owner:** ${owner}`,
    `**SLA:** ${snapshot.sla_at ? `due ${snapshot.sla_at}, ${slaLevel(snapshot)}` : 'none'}`,
    `**Open tasks (${openTasks.length})**`,
    ...(openTasks.length ? [openTasks.map((t) => `- ${cell(t.title)} · ${t.state} · ${t.assignee_user_id ?? t.assignee_role ?? 'unassigned'}${t.due_at ? ` · due ${t.due_at}` : ''} (\`${t.task_id}\`)`).join('\n')] : []),
    `**Pending timers (${pendingTimers.length})**`,
    ...(pendingTimers.length ? [[...pendingTimers].sort((a, b) => a.fire_at.localeCompare(b.fire_at)).map((t) => `- ${cell(t.name)} · fires ${t.fire_at} (\`${t.timer_id}\`)`).join('\n')] : []),
  ];
  return blocks.join('\n\n');
}
