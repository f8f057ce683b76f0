import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { auditCommand } from '../src/cli/commands/audit';
import { seedCommand } from '../src/cli/commands/seed';
import { sweepCommand } from '../src/cli/commands/sweepRun';
import { tasksCommand } from '../src/cli/commands/tasks';
import { wfCommand } from '../src/cli/commands/wf';
import { freePort } from '../src/net';
import { startHarness, type Harness, type Member } from './support/harness';

// `hera wf|tasks|audit|seed|sweep run` against the real system: the CLI runs as a child process over the
// harness's API, as an operator would run it.

const bin = path.resolve(__dirname, '../bin/hera.js');

let h: Harness;
let ops: Member;
let system: Member;
let employee: Member;
let plain: Member;
let home: string;

beforeAll(async () => {
  h = await startHarness();
  const org = (await h.organization()).id;
  [ops, system, employee, plain] = await Promise.all([
    h.member(org, ['admin', 'manager', 'employee', 'user']),
    h.member(org, ['system']),
    h.member(org, ['employee', 'user']),
    h.member(org, ['user']),
  ]);
  // No `hera dev` ran here: the token and URL come from the environment or the flags only.
  home = mkdtempSync(path.join(os.tmpdir(), 'hera-cli-'));
});
afterAll(() => h.close());

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `hera ...args` in a clean environment (HERA_API_URL = the harness's API, HERA_TOKEN = `who`'s). */
function hera(args: string[], { who = ops, env = {} }: { who?: Member | null; env?: Record<string, string | undefined> } = {}): Promise<Run> {
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, HERA_HOME: home, HERA_API_URL: h.api.url };
  if (who) base.HERA_TOKEN = who.token;
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...base, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code) : 0, stdout, stderr });
    });
  });
}

const json = async (args: string[], who: Member = ops) => {
  const run = await hera([...args, '--json'], { who });
  expect(run).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(run.stdout);
};

const post = (who: Member, route: string, body: unknown = {}) => h.request('POST', route, { token: who.token, body });

/** A LEAVE_APPROVAL instance in MANAGER_REVIEW, with its open review task. */
async function inReview(): Promise<{ id: string; taskId: string }> {
  const started = await post(employee, '/api/v1/workflows', { definition_code: 'LEAVE_APPROVAL', context: { days: 2, available_days: 9 } });
  const id = started.body.instance_id as string;
  expect((await post(employee, `/api/v1/workflows/${id}/advance`, { to_state: 'SUBMITTED' })).status).toBe(200);
  expect((await post(system, `/api/v1/workflows/${id}/advance`, { to_state: 'MANAGER_REVIEW' })).status).toBe(200);
  const tasks = await h.request('GET', `/api/v1/tasks?instance_id=${id}`, { token: ops.token });
  return { id, taskId: tasks.body.tasks[0].task_id };
}

/** Every leaf command under `command`, with its full name. */
function leaves(command: Command, prefix: string[] = []): Array<[string, Command]> {
  const name = [...prefix, command.name()];
  return command.commands.length ? command.commands.flatMap((sub) => leaves(sub, name)) : [[name.join(' '), command]];
}

test('every command’s --help shows an example and exits 0; usage errors exit 2', async () => {
  const operated = [wfCommand, tasksCommand, auditCommand, seedCommand, sweepCommand].flatMap((command) => leaves(command, ['hera']));
  expect(operated.map(([name]) => name)).toEqual([
    'hera wf list',
    'hera wf get',
    'hera wf pause',
    'hera wf resume',
    'hera wf reassign',
    'hera wf sla-recalc',
    'hera wf retry-effects',
    'hera wf reconcile',
    'hera wf cancel',
    'hera wf move',
    'hera wf migrate',
    'hera tasks list',
    'hera tasks claim',
    'hera tasks complete',
    'hera tasks reassign',
    'hera tasks escalate',
    'hera audit',
    'hera seed',
    'hera sweep run',
  ]);
  for (const [name, command] of operated) {
    let help = '';
    command.configureOutput({ writeOut: (text) => (help += text) }).outputHelp();
    expect(help).toMatch(new RegExp(`Examples?:\\n  \\$ ${name}`));
  }
  const shown = await hera(['tasks', 'complete', '--help'], { who: null });
  expect(shown).toMatchObject({ code: 0, stdout: expect.stringContaining('$ hera tasks complete') });

  const [badChoice, noId, unknownOption, noToken, badUrl] = await Promise.all([
    hera(['wf', 'list', '--paused', 'maybe']),
    hera(['wf', 'pause']),
    hera(['tasks', 'list', '--colour', 'red']),
    hera(['wf', 'list'], { who: null }),
    hera(['audit'], { env: { HERA_API_URL: 'not a url' } }),
  ]);
  expect(badChoice).toMatchObject({ code: 2, stderr: expect.stringContaining("'--paused <bool>' argument 'maybe' is invalid") });
  expect(noId).toMatchObject({ code: 2, stderr: expect.stringContaining("missing required argument 'instance_id'") });
  expect(unknownOption).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown option '--colour'") });
  expect(noToken).toMatchObject({ code: 2, stderr: expect.stringContaining('no token: pass --token, set HERA_TOKEN') });
  expect(badUrl).toMatchObject({ code: 2, stderr: expect.stringContaining('HERA_API_URL') });
});

test('an API nobody listens on exits 4 after a short retry, with one line and no stack', async () => {
  const port = await freePort();
  const started = Date.now();
  const run = await hera(['wf', 'list', '--api', `http://127.0.0.1:${port}`]);
  expect(run).toMatchObject({ code: 4, stdout: '' });
  expect(run.stderr).toBe(`http://127.0.0.1:${port} unreachable: ECONNREFUSED\n`);
  expect(Date.now() - started).toBeGreaterThan(1000);
});

test('hera dev’s saved admin token and API are the defaults', async () => {
  const devHome = mkdtempSync(path.join(os.tmpdir(), 'hera-dev-'));
  writeFileSync(path.join(devHome, 'dev.json'), JSON.stringify({ api: h.api.url, admin_token: ops.token }));
  const run = await hera(['wf', 'list', '--json', '--limit', '1'], { who: null, env: { HERA_HOME: devHome, HERA_API_URL: undefined } });
  expect(run.code).toBe(0);
  expect(JSON.parse(run.stdout).pagination.limit).toBe(1);
});

test('wf list / get: the API’s JSON with --json, aligned columns by default; refusals exit 3 with the engine’s code', async () => {
  const { id } = await inReview();
  const [listed, got, table, notFound, badFilter] = await Promise.all([
    json(['wf', 'list', '--definition-code', 'LEAVE_APPROVAL', '--current-state', 'MANAGER_REVIEW', '--paused', 'false', '--sort-by', 'created_at', '--limit', '5']),
    json(['wf', 'get', id, '--no-effects', '--steps-limit', '2']),
    hera(['wf', 'list', '--current-state', 'MANAGER_REVIEW']),
    hera(['wf', 'get', randomUUID()]),
    hera(['wf', 'list', '--owner-user-id', 'nobody']),
  ]);
  expect(listed.instances.map((i: { instance_id: string }) => i.instance_id)).toContain(id);
  expect(listed.filters_applied).toEqual({ definition_code: 'LEAVE_APPROVAL', current_state: 'MANAGER_REVIEW', paused: false, sort_by: 'created_at', sort_order: 'desc' });
  expect(got.instance).toMatchObject({ instance_id: id, current_state: 'MANAGER_REVIEW' });
  expect(got.steps.map((s: { to_state: string }) => s.to_state)).toEqual(['DRAFT', 'SUBMITTED']);
  expect(got.tasks).toHaveLength(1);
  expect(got).toHaveProperty('timers');
  expect(got).not.toHaveProperty('effects');

  expect(table.code).toBe(0);
  const [header, ...rows] = table.stdout.trimEnd().split('\n');
  expect(header).toMatch(/^instance_id +definition +state +status +paused +owner +sla_at +created_at$/);
  const row = rows.find((line) => line.startsWith(id));
  expect(row).toBeDefined();
  expect(row!.indexOf('LEAVE_APPROVAL')).toBe(header.indexOf('definition'));
  expect(row!.indexOf('MANAGER_REVIEW')).toBe(header.indexOf('state'));
  expect(row!.indexOf('active')).toBe(header.indexOf('status'));

  expect(notFound).toMatchObject({ code: 3, stdout: '', stderr: expect.stringMatching(/^INSTANCE_NOT_FOUND: /) });
  expect(badFilter).toMatchObject({ code: 3, stderr: expect.stringMatching(/^VALIDATION_FAILED: .*\n {2}details: .*owner_user_id/s) });
});

test('wf pause / resume / reassign / sla-recalc / retry-effects, and the audit trail they leave', async () => {
  const { id } = await inReview();
  expect((await h.request('PUT', '/api/v1/teams/operations', { token: ops.token, body: { name: 'Operations' } })).status).toBe(200);

  const key = randomUUID();
  const paused = await json(['wf', 'pause', id, '--reason', 'vendor dispute', '--idempotency-key', key]);
  expect(paused).toMatchObject({ instance_id: id, paused: true, pause_reason: 'vendor dispute', paused_by: ops.userId });
  const [again, twice, notAdmin] = await Promise.all([
    json(['wf', 'pause', id, '--reason', 'vendor dispute', '--idempotency-key', key]),
    hera(['wf', 'pause', id, '--reason', 'vendor dispute']),
    hera(['wf', 'pause', id], { who: plain }),
  ]);
  expect(again).toEqual(paused);
  expect(twice).toMatchObject({ code: 3, stderr: expect.stringMatching(/^INSTANCE_ALREADY_PAUSED: /) });
  expect(notAdmin).toMatchObject({ code: 3, stderr: expect.stringMatching(/^PERMISSION_DENIED: /) });
  expect(twice.stderr + notAdmin.stderr).not.toMatch(/\n\s+at /);

  expect(await json(['wf', 'resume', id, '--notes', 'resolved'])).toMatchObject({ instance_id: id, paused: false, resumed_by: ops.userId });
  expect(await json(['wf', 'reassign', id, '--team', 'operations'])).toMatchObject({ instance_id: id, owner_team: 'operations' });
  const recalc = await json(['wf', 'sla-recalc', id, '--hours', '48', '--reason', 'customer asked']);
  expect(recalc).toMatchObject({ instance_id: id, new_sla_at: expect.any(String) });

  const { steps } = await json(['wf', 'get', id]);
  const noFailed = await hera(['wf', 'retry-effects', id, '--step', steps[0].step_id]);
  expect(noFailed).toMatchObject({ code: 3, stderr: expect.stringMatching(/^NO_FAILED_EFFECTS: /) });

  const human = await hera(['wf', 'reassign', id, '--team', 'operations']);
  expect(human.code).toBe(0);
  expect(human.stdout).toMatch(/^instance_id +\S+\nowner_team +operations\n/);

  const [trail, refused, table] = await Promise.all([
    json(['audit', '--instance-id', id, '--limit', '100']),
    json(['audit', '--instance-id', id, '--outcome', 'REFUSED']),
    hera(['audit', '--instance-id', id, '--procedure-code', 'HERA.UNIV.WF.INSTANCE.PAUSE.V1']),
  ]);
  const codes = trail.events.map((e: { procedure_code: string }) => e.procedure_code);
  for (const code of ['PAUSE', 'RESUME', 'REASSIGN', 'SLA.RECALC']) expect(codes).toContain(`HERA.UNIV.WF.INSTANCE.${code}.V1`);
  expect(refused.events.map((e: { error_code: string }) => e.error_code)).toEqual(expect.arrayContaining(['INSTANCE_ALREADY_PAUSED', 'PERMISSION_DENIED']));
  expect(table.stdout).toMatch(/^created_at +procedure +outcome +error +actor +instance_id +reason\n/);
  expect(table.stdout).toContain('INSTANCE_ALREADY_PAUSED');
});

test('tasks list / reassign / claim / complete / escalate', async () => {
  const [first, second] = await Promise.all([inReview(), inReview()]);
  // A task goes back to a role only when someone in the directory holds it.
  expect((await h.request('PUT', `/api/v1/users/${ops.userId}`, { token: ops.token, body: { name: 'Ops', roles: ['manager'] } })).status).toBe(200);
  const listed = await json(['tasks', 'list', '--instance-id', first.id, '--task-state', 'OPEN']);
  expect(listed.tasks).toEqual([expect.objectContaining({ task_id: first.taskId, assignee_role: 'manager', task_state: 'OPEN' })]);

  const [reassigned, escalated, wrongRole] = await Promise.all([
    json(['tasks', 'reassign', first.taskId, '--role', 'manager', '--reason', 'back to the pool']),
    json(['tasks', 'escalate', second.taskId, '--reason', 'no answer', '--priority', 'urgent']),
    hera(['tasks', 'claim', second.taskId], { who: employee }),
  ]);
  expect(reassigned).toMatchObject({ task_id: first.taskId, assignee_role: 'manager', task_state: 'OPEN' });
  expect(escalated).toMatchObject({ task_id: second.taskId, escalated_to: { role: 'senior_manager' }, escalation_count: 1, new_priority: 'urgent' });
  expect(wrongRole).toMatchObject({ code: 3, stderr: expect.stringMatching(/^UNAUTHORIZED_ROLE: /) });

  expect(await json(['tasks', 'claim', first.taskId])).toMatchObject({ task_id: first.taskId, state: 'CLAIMED', assignee_user_id: ops.userId });
  const done = await json(['tasks', 'complete', first.taskId, '--outcome', 'approved', '--advance-to', 'APPROVED']);
  expect(done).toMatchObject({ task_id: first.taskId, state: 'COMPLETED', outcome: 'approved', workflow_advanced: true });
  expect((await json(['wf', 'get', first.id, '--no-steps'])).instance.current_state).toBe('APPROVED');
});

test('seed starts N instances through START and a re-run of the same seed starts only the missing ones', async () => {
  const name = `cli-${randomUUID()}`;
  expect(await json(['seed', '--instances', '3', '--name', name, '--concurrency', '2'])).toEqual({
    seed: name,
    definition_code: 'LEAVE_APPROVAL',
    instances: 3,
    created: 3,
    existing: 0,
  });
  const rerun = await hera(['seed', '--instances', '5', '--name', name]);
  expect(rerun.code).toBe(0);
  expect(rerun.stdout).toMatch(/^seed +cli-\S+\ndefinition_code +LEAVE_APPROVAL\ninstances +5\ncreated +2\nexisting +3\n$/);
  const listed = await json(['wf', 'list', '--definition-code', 'LEAVE_APPROVAL', '--limit', '500']);
  const subjects = listed.instances.map((i: { subject_ref: { entity_id: string } | null }) => i.subject_ref?.entity_id).filter((s: string) => s?.startsWith(name));
  expect(subjects.sort()).toEqual([0, 1, 2, 3, 4].map((i) => `${name}-${i}`));

  const unknown = await hera(['seed', '--instances', '1', '--definition', 'NO_SUCH_DEFINITION', '--name', name + '-x']);
  expect(unknown).toMatchObject({ code: 3, stderr: expect.stringMatching(/^DEFINITION_NOT_FOUND: /) });
  expect((await hera(['seed', '--instances', '0'])).code).toBe(2);
});

test('sweep run: a dry run as of a later moment, a real run now, and a later moment without --dry-run refused', async () => {
  const later = new Date(Date.now() + 3 * 86_400_000).toISOString();
  const [dry, ahead] = await Promise.all([json(['sweep', 'run', '--dry-run', '--as-of', later]), hera(['sweep', 'run', '--as-of', later])]);
  expect(dry).toMatchObject({ dry_run: true, as_of: later, organizations_swept: 1 });
  expect(ahead).toMatchObject({ code: 3, stderr: expect.stringMatching(/^VALIDATION_FAILED: [^]*as_of/) });
  const now = await json(['sweep', 'run']);
  expect(now).toMatchObject({ dry_run: false, trigger: 'api', organizations_swept: 1, errors: 0 });
});
