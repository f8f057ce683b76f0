import { Command, Option } from 'commander';
import { clientOf, idempotencyKeyOf, nextPageHint, print, queryOf, withApiOptions, type ApiOptions } from '../api/options';
import { formatRecord, formatTable, type Column } from '../output/table';

type Row = Record<string, any>;

const taskColumns: Column<Row>[] = [
  { header: 'task_id', value: (t) => t.task_id },
  { header: 'instance_id', value: (t) => t.instance_id },
  { header: 'title', value: (t) => t.title },
  { header: 'state', value: (t) => t.task_state },
  { header: 'assignee', value: (t) => t.assignee_user_id ?? t.assignee_role },
  { header: 'priority', value: (t) => t.priority },
  { header: 'due_at', value: (t) => t.due_at },
];

const listFilters = [
  'instance_id',
  'task_state',
  'assignee_role',
  'assignee_user_id',
  'priority',
  'overdue',
  'created_after',
  'created_before',
  'completed_after',
  'completed_before',
  'sort_by',
  'sort_order',
  'limit',
  'cursor',
] as const;

const priorities = ['low', 'medium', 'high', 'urgent'];

export const tasksCommand = new Command('tasks').description('list and work human tasks (over the API)');

withApiOptions(
  tasksCommand
    .command('list')
    .description('tasks of the organization (GET /api/v1/tasks)')
    .option('--instance-id <uuid>', 'only this instance’s tasks')
    .addOption(new Option('--task-state <state>', 'only tasks in this state').choices(['OPEN', 'CLAIMED', 'COMPLETED', 'CANCELLED']))
    .option('--assignee-role <role>', 'only tasks for this role')
    .option('--assignee-user-id <uuid>', 'only tasks of this user')
    .addOption(new Option('--priority <priority>', 'only this priority').choices(priorities))
    .addOption(new Option('--overdue <bool>', 'only tasks past (true) or within (false) their due time').choices(['true', 'false']))
    .option('--created-after <iso>', 'created at or after this instant')
    .option('--created-before <iso>', 'created before this instant')
    .option('--completed-after <iso>', 'completed at or after this instant')
    .option('--completed-before <iso>', 'completed before this instant')
    .addOption(new Option('--sort-by <column>', 'sort column').choices(['created_at', 'due_at', 'completed_at']))
    .addOption(new Option('--sort-order <order>', 'sort direction').choices(['asc', 'desc']))
    .option('--limit <n>', 'page size (at most 500; default 50)')
    .option('--cursor <cursor>', 'the next page, as a previous answer’s next_cursor'),
)
  .addHelpText('after', '\nExample:\n  $ hera tasks list --task-state OPEN --assignee-role manager --overdue true\n')
  .action(async (options: ApiOptions) => {
    const { body } = await clientOf(options).get('/api/v1/tasks', queryOf(options, listFilters));
    print(options, body, (b) => formatTable(taskColumns, b.tasks) + nextPageHint(b.pagination));
  });

/** A command on one task: POST /api/v1/tasks/:id/<name> with the body `bodyOf` makes. */
function taskCommand<O extends ApiOptions>(name: string, description: string, example: string, bodyOf: (options: O) => object) {
  return withApiOptions(tasksCommand.command(name).description(description).argument('<task_id>', 'the task'), { mutating: true })
    .addHelpText('after', `\nExample:\n  $ ${example}\n`)
    .action(async (id: string, options: O) => {
      const { body } = await clientOf(options).post(`/api/v1/tasks/${encodeURIComponent(id)}/${name}`, bodyOf(options), idempotencyKeyOf(options));
      print(options, body, formatRecord);
    });
}

taskCommand('claim', 'take an OPEN task as the caller (a holder of its role)', 'hera tasks claim 5b0f3c1e-8d2a-4f6b-9c3e-1a2b3c4d5e6f', () => ({}));

taskCommand<ApiOptions & { outcome: string; notes?: string; advanceTo?: string }>(
  'complete',
  'complete a task the caller holds, optionally advancing its instance',
  'hera tasks complete 5b0f3c1e-8d2a-4f6b-9c3e-1a2b3c4d5e6f --outcome approved --advance-to APPROVED',
  ({ outcome, notes, advanceTo }) => ({ outcome, notes, advance_workflow: advanceTo ? { to_state: advanceTo } : undefined }),
)
  .requiredOption('--outcome <text>', 'the decision, e.g. approved')
  .option('--notes <text>', 'notes kept with the task')
  .option('--advance-to <state>', 'then advance the instance to this state');

taskCommand<ApiOptions & { role?: string; user?: string; reason?: string }>(
  'reassign',
  'give a task to another role or user (admin or its assignee)',
  'hera tasks reassign 5b0f3c1e-8d2a-4f6b-9c3e-1a2b3c4d5e6f --role senior_manager --reason "on leave"',
  ({ role, user, reason }) => ({ assignee_role: role, assignee_user_id: user, reason }),
)
  .option('--role <role>', 'the new assignee role')
  .option('--user <uuid>', 'the new assignee user')
  .option('--reason <text>', 'why, for the audit trail');

taskCommand<ApiOptions & { toRole?: string; toUser?: string; reason?: string; priority?: string }>(
  'escalate',
  'escalate a task: to the assignee’s manager or the next role up unless told where (manager)',
  'hera tasks escalate 5b0f3c1e-8d2a-4f6b-9c3e-1a2b3c4d5e6f --reason "no answer" --priority urgent',
  ({ toRole, toUser, reason, priority }) => ({ escalate_to_role: toRole, escalate_to_user_id: toUser, reason, new_priority: priority }),
)
  .option('--to-role <role>', 'escalate to this role')
  .option('--to-user <uuid>', 'escalate to this user')
  .option('--reason <text>', 'why, for the audit trail')
  .addOption(new Option('--priority <priority>', 'the task’s new priority').choices(priorities));
