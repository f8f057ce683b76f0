import { Command, InvalidArgumentError, Option } from 'commander';
import { clientOf, idempotencyKeyOf, nextPageHint, print, queryOf, withApiOptions, type ApiOptions } from '../api/options';
import { formatRecord, formatTable, type Column } from '../output/table';

type Row = Record<string, any>;

const instanceColumns: Column<Row>[] = [
  { header: 'instance_id', value: (i) => i.instance_id },
  { header: 'definition', value: (i) => i.definition_code },
  { header: 'state', value: (i) => i.current_state },
  { header: 'status', value: (i) => i.status },
  { header: 'paused', value: (i) => (i.paused ? 'yes' : '') },
  { header: 'owner', value: (i) => i.owner_team ?? i.owner_user_id },
  { header: 'sla_at', value: (i) => i.sla_at },
  { header: 'created_at', value: (i) => i.created_at },
];

const listFilters = [
  'definition_code',
  'current_state',
  'owner_team',
  'owner_user_id',
  'paused',
  'overdue',
  'created_after',
  'created_before',
  'has_failed_effects',
  'sla_level_min',
  'updated_after',
  'updated_before',
  'sort_by',
  'sort_order',
  'limit',
  'cursor',
] as const;

const yesNo = ['true', 'false'];

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

export const wfCommand = new Command('wf').description('list, inspect and operate workflow instances (over the API)');

withApiOptions(
  wfCommand
    .command('list')
    .description('instances of the organization, newest first (GET /api/v1/workflows)')
    .option('--definition-code <code>', 'only this definition')
    .option('--current-state <state>', 'only instances in this state')
    .option('--owner-team <team>', 'only instances owned by this team')
    .option('--owner-user-id <uuid>', 'only instances owned by this user')
    .addOption(new Option('--paused <bool>', 'only paused (true) or running (false) instances').choices(yesNo))
    .addOption(new Option('--overdue <bool>', 'only instances past (true) or within (false) their SLA').choices(yesNo))
    .option('--created-after <iso>', 'created at or after this instant')
    .option('--created-before <iso>', 'created before this instant')
    .addOption(new Option('--has-failed-effects <bool>', 'only instances with (true) or without (false) permanently failed effects').choices(yesNo))
    .addOption(new Option('--sla-level-min <n>', 'only instances whose SLA escalation reached this level (1 breached, 2 +2 h, 3 +6 h)').choices(['0', '1', '2', '3']))
    .option('--updated-after <iso>', 'last changed at or after this instant')
    .option('--updated-before <iso>', 'last changed before this instant')
    .addOption(new Option('--sort-by <column>', 'sort column').choices(['created_at', 'updated_at', 'sla_at']))
    .addOption(new Option('--sort-order <order>', 'sort direction').choices(['asc', 'desc']))
    .option('--limit <n>', 'page size (at most 500; default 50)')
    .option('--cursor <cursor>', 'the next page, as a previous answer’s next_cursor'),
)
  .addHelpText('after', '\nExample:\n  $ hera wf list --paused true --definition-code LEAVE_APPROVAL --limit 20\n')
  .action(async (options: ApiOptions) => {
    const { body } = await clientOf(options).get('/api/v1/workflows', queryOf(options, listFilters));
    print(options, body, (b) => formatTable(instanceColumns, b.instances) + nextPageHint(b.pagination));
  });

withApiOptions(
  wfCommand
    .command('get')
    .description('one instance with its steps, tasks, timers and effects (GET /api/v1/workflows/:id)')
    .argument('<instance_id>', 'the instance')
    .option('--no-steps', 'leave out the steps')
    .option('--no-tasks', 'leave out the tasks')
    .option('--no-timers', 'leave out the timers')
    .option('--no-effects', 'leave out the effects')
    .option('--steps-limit <n>', 'at most this many steps (default 100)'),
)
  .addHelpText('after', '\nExample:\n  $ hera wf get 0c569099-7a99-4bd0-9cd4-73f6fbc9a731 --no-effects\n')
  .action(async (id: string, options: ApiOptions & { steps: boolean; tasks: boolean; timers: boolean; effects: boolean; stepsLimit?: string }) => {
    const { body } = await clientOf(options).get(`/api/v1/workflows/${encodeURIComponent(id)}`, {
      include_steps: options.steps,
      include_tasks: options.tasks,
      include_timers: options.timers,
      include_effects: options.effects,
      steps_limit: options.stepsLimit,
    });
    print(options, body, (b) => {
      const sections = [formatRecord(b.instance)];
      const table = (title: string, rows: Row[] | undefined, columns: Column<Row>[]) => {
        if (rows) sections.push(`${title}\n${formatTable(columns, rows)}`);
      };
      table('steps', b.steps, [
        { header: 'line', value: (s) => s.line_number },
        { header: 'from', value: (s) => s.from_state },
        { header: 'to', value: (s) => s.to_state },
        { header: 'actor_role', value: (s) => s.actor_role },
        { header: 'note', value: (s) => s.note },
        { header: 'at', value: (s) => s.created_at },
      ]);
      table('tasks', b.tasks, [
        { header: 'task_id', value: (t) => t.task_id },
        { header: 'title', value: (t) => t.title },
        { header: 'state', value: (t) => t.task_state },
        { header: 'assignee', value: (t) => t.assignee_user_id ?? t.assignee_role },
        { header: 'priority', value: (t) => t.priority },
        { header: 'due_at', value: (t) => t.due_at },
      ]);
      table('timers', b.timers, [
        { header: 'timer_id', value: (t) => t.timer_id },
        { header: 'name', value: (t) => t.timer_name },
        { header: 'status', value: (t) => t.timer_status },
        { header: 'fire_at', value: (t) => t.fire_at },
      ]);
      table('effects', b.effects, [
        { header: 'effect_id', value: (e) => e.effect_id },
        { header: 'code', value: (e) => e.effect_smart_code },
        { header: 'status', value: (e) => e.effect_status },
        { header: 'attempts', value: (e) => e.attempt_count },
        { header: 'step_id', value: (e) => e.step_id },
        { header: 'last_error', value: (e) => e.last_error },
      ]);
      return sections.join('\n');
    });
  });

/** An operator command on one instance: POST /api/v1/workflows/:id/<route> with the body `bodyOf` makes. */
function instanceCommand<O extends ApiOptions>(name: string, description: string, example: string, bodyOf: (options: O) => object) {
  return withApiOptions(wfCommand.command(name).description(description).argument('<instance_id>', 'the instance'), { mutating: true })
    .addHelpText('after', `\nExample:\n  $ ${example}\n`)
    .action(async (id: string, options: O) => {
      const { body } = await clientOf(options).post(`/api/v1/workflows/${encodeURIComponent(id)}/${name}`, bodyOf(options), idempotencyKeyOf(options));
      print(options, body, formatRecord);
    });
}

instanceCommand<ApiOptions & { reason?: string }>(
  'pause',
  'pause an instance: its timers and SLA clock stop (admin)',
  'hera wf pause 0c569099-7a99-4bd0-9cd4-73f6fbc9a731 --reason "vendor dispute"',
  ({ reason }) => ({ reason }),
).option('--reason <text>', 'why, for the audit trail and the Temporal UI');

instanceCommand<ApiOptions & { notes?: string }>(
  'resume',
  'resume a paused instance: its timers re-arm and its SLA moves by the pause (admin)',
  'hera wf resume 0c569099-7a99-4bd0-9cd4-73f6fbc9a731 --notes resolved',
  ({ notes }) => ({ notes }),
).option('--notes <text>', 'what was resolved');

instanceCommand<ApiOptions & { team?: string; user?: string }>(
  'reassign',
  'give an instance to another owner team or user (admin)',
  'hera wf reassign 0c569099-7a99-4bd0-9cd4-73f6fbc9a731 --team operations',
  ({ team, user }) => ({ owner_team: team, owner_user_id: user }),
)
  .option('--team <code>', 'the new owner team')
  .option('--user <uuid>', 'the new owner user');

instanceCommand<ApiOptions & { hours?: number; reason?: string }>(
  'sla-recalc',
  'recompute an instance’s SLA deadline, optionally with new hours (admin)',
  'hera wf sla-recalc 0c569099-7a99-4bd0-9cd4-73f6fbc9a731 --hours 48 --reason "customer asked for more time"',
  ({ hours, reason }) => ({ sla_override_hours: hours, recalc_reason: reason }),
)
  .option('--hours <n>', 'the SLA in hours from the start (may be fractional)', positiveNumber)
  .option('--reason <text>', 'why, for the audit trail');

instanceCommand<ApiOptions & { step: string; effect?: string[]; force?: boolean }>(
  'retry-effects',
  'run a step’s failed effects again (admin)',
  'hera wf retry-effects 0c569099-7a99-4bd0-9cd4-73f6fbc9a731 --step d85c701b-2a51-4c8e-9f61-3c1b0e6f1a22 --effect HERA.UNIV.WF.EFFECT.WEBHOOK.v1',
  ({ step, effect, force }) => ({ step_id: step, effect_filter: effect, force_retry: force }),
)
  .requiredOption('--step <step_id>', 'the step whose effects to retry (`hera wf get ID` lists them)')
  .option('--effect <code...>', 'only effects with these codes')
  .option('--force', 'retry effects that did not fail too');

instanceCommand<ApiOptions & { dryRun?: boolean; reason?: string }>(
  'reconcile',
  'repair the row of an instance whose workflow ended unfinished (terminated in the Temporal UI, timed out, gone): dry run first (admin)',
  'hera wf reconcile 0c569099-7a99-4bd0-9cd4-73f6fbc9a731 --dry-run',
  ({ dryRun, reason }) => ({ dry_run: dryRun ?? false, reason }),
)
  .option('--dry-run', 'say what would change, change nothing')
  .option('--reason <text>', 'why, for the audit trail');

instanceCommand<ApiOptions & { reason: string }>(
  'cancel',
  'cancel an instance, paused or not: its pending timers and open tasks are cancelled, later commands refused (admin)',
  'hera wf cancel 0c569099-7a99-4bd0-9cd4-73f6fbc9a731 --reason "duplicate request"',
  ({ reason }) => ({ reason }),
).requiredOption('--reason <text>', 'why, for the step line and the audit trail');

instanceCommand<ApiOptions & { toState: string; reason: string }>(
  'move',
  'move an instance to any state of its definition, running no guard or effect (admin)',
  'hera wf move 0c569099-7a99-4bd0-9cd4-73f6fbc9a731 --to-state MANAGER_REVIEW --reason "stuck after the vendor outage"',
  ({ toState, reason }) => ({ to_state: toState, reason }),
)
  .requiredOption('--to-state <state>', 'the state to enter')
  .requiredOption('--reason <text>', 'why, for the step line and the audit trail');

/** `--map old=new`, repeatable: the state map of a migration. */
function stateMapping(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0 || at === value.length - 1) throw new InvalidArgumentError('expected old=new');
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

instanceCommand<ApiOptions & { toVersion: number; map?: Record<string, string>; dryRun?: boolean; reason?: string }>(
  'migrate',
  'move a running instance to another registered version of its definition: dry run first to see the plan (admin)',
  'hera wf migrate 0c569099-7a99-4bd0-9cd4-73f6fbc9a731 --to-version 2 --map REVIEW=MANAGER_REVIEW --dry-run',
  ({ toVersion, map, dryRun, reason }) => ({ to_version: toVersion, state_map: map, dry_run: dryRun ?? false, reason }),
)
  .requiredOption('--to-version <n>', 'the registered version to follow', (value) => {
    const n = positiveNumber(value);
    if (!Number.isInteger(n)) throw new InvalidArgumentError('expected a whole version number');
    return n;
  })
  .option('--map <old=new>', 'the current state’s name in the target version (repeatable)', stateMapping)
  .option('--dry-run', 'answer the plan, change nothing')
  .option('--reason <text>', 'why, for the step line and the audit trail');
