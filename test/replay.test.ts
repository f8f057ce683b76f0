import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { instanceWorkflowId } from '../src/temporal/ids';
import { eventually } from './support/eventually';
import { startHarness, type Harness, type Member } from './support/harness';

const run = promisify(execFile);

/** Committed histories of each sample definition; `HERA_RECORD_HISTORIES=1` rewrites them from this run. */
const fixtures = path.resolve(__dirname, 'histories');
/**
 * Histories recorded by earlier versions of the code, never rewritten, which a change to the instance workflow must
 * still replay: paths the sample runs do not take (a first state with timers, Temporal timers firing, a refused
 * set-timer Update, an unnamed timer fired by id, several timers cancelled at once) and every Update of the task,
 * operator and sweep commands (a failed effect retried, checkSla, escalateOverdueTask among them), and two bulk
 * jobs of one organization in batches of 3 (one that ran and signalled the next, one that waited queued for it),
 * and the sample runs as recorded before instances kept timers for their own SLA moments (`*_before_on_time_sla`)
 * and before they wrote their first record with a local activity (`*_before_local_start_record`), and before START
 * set their search attributes and named its revision instead of a patch marker (`*_before_start_attributes`).
 */
const earlier = path.join(fixtures, 'earlier');

let h: Harness;
let roles: Record<string, Member>;

beforeAll(async () => {
  h = await startHarness();
  const org = (await h.organization()).id;
  const names = ['employee', 'manager', 'system', 'admin', 'ap_manager', 'ap_clerk', 'payment', 'user'];
  roles = Object.fromEntries(await Promise.all(names.map(async (r) => [r, await h.member(org, [r, 'user'])] as const)));
});
afterAll(() => h.close());

async function drive(definition: string, context: Record<string, unknown>, path: Array<[string, string]>, initial?: string) {
  const started = await h.request('POST', '/api/v1/workflows', { token: roles.user.token, body: { definition_code: definition, context, ...(initial ? { initial_state: initial } : {}) } });
  expect(started.status).toBe(201);
  const id = started.body.instance_id;
  for (const [to, role] of path) {
    const res = await h.request('POST', `/api/v1/workflows/${id}/advance`, { token: roles[role].token, body: { to_state: to } });
    expect({ to, status: res.status }).toEqual({ to, status: 200 });
  }
  return id as string;
}

test('histories of every sample definition replay deterministically against this code', async () => {
  const leave = await drive('LEAVE_APPROVAL', { days: 2, available_days: 9 }, [
    ['SUBMITTED', 'employee'],
    ['MANAGER_REVIEW', 'system'],
  ]);
  const [task] = await h.system.services.db.withOrg(roles.user.organizationId, async (sql) =>
    (await sql.query('select task_id from wf_tasks_view where instance_id = $1', [leave])).rows,
  );
  expect((await h.request('POST', `/api/v1/tasks/${task.task_id}/claim`, { token: roles.manager.token })).status).toBe(200);
  const completed = await h.request('POST', `/api/v1/tasks/${task.task_id}/complete`, {
    token: roles.manager.token,
    body: { outcome: 'approved', advance_workflow: { to_state: 'APPROVED' } },
  });
  expect(completed.body.workflow_advanced).toBe(true);
  const ap = await drive('AP_BILL_APPROVAL', { vendor_id: 'v', po_number: 'po' }, [
    ['MATCH_2W', 'system'],
    ['REVIEW', 'system'],
    ['APPROVED', 'ap_manager'],
    ['POSTED', 'system'],
    ['PAID', 'ap_clerk'],
  ]);
  const membership = await drive('MEMBERSHIP_RENEWAL', {}, [
    ['NOTIFIED', 'system'],
    ['GRACE', 'system'],
    ['RENEWED', 'payment'],
  ]);
  const followup = await drive('APPT_FOLLOWUP', {}, [['PENDING_SEND', 'system']]);
  const [timer] = await h.system.services.db.withOrg(roles.user.organizationId, async (sql) =>
    (await sql.query('select timer_id from wf_timers_view where instance_id = $1', [followup])).rows,
  );
  expect((await h.request('POST', `/api/v1/workflows/${followup}/timers/${timer.timer_id}/fire`, { token: roles.system.token })).status).toBe(200);
  expect((await h.request('POST', `/api/v1/workflows/${followup}/advance`, { token: roles.system.token, body: { to_state: 'DONE' } })).status).toBe(200);
  const admin = await drive('TEST_ADMIN_WORKFLOW', {}, [
    ['ACTIVE', 'user'],
    ['ON_HOLD', 'admin'],
    ['ACTIVE', 'admin'],
  ]);
  // Operator commands too: pause (also as a signal), resume, SLA recalc, then the last transition.
  const adminPath = (p: string) => `/api/v1/workflows/${admin}/${p}`;
  expect((await h.request('POST', adminPath('pause'), { token: roles.admin.token, body: { reason: 'replay' } })).status).toBe(200);
  expect((await h.request('POST', adminPath('resume'), { token: roles.admin.token })).status).toBe(200);
  await h.system.services.temporal.workflow.getHandle(instanceWorkflowId(roles.user.organizationId, admin)).signal('pause', { actor: 'ops', reason: 'signal' });
  await eventually(async () => expect((await h.request('POST', adminPath('resume'), { token: roles.admin.token })).status).toBe(200));
  expect((await h.request('POST', adminPath('sla-recalc'), { token: roles.admin.token, body: { sla_override_hours: 2 } })).status).toBe(200);
  expect((await h.request('POST', adminPath('advance'), { token: roles.user.token, body: { to_state: 'COMPLETED' } })).status).toBe(200);

  // Scenario 34: five instances of five definitions in one organization, each with only its own steps.
  const statesOf = async (id: string) =>
    (await h.system.services.db.withOrg(roles.user.organizationId, async (sql) =>
      (await sql.query('select to_state from wf_steps_view where instance_id = $1 order by line_number', [id])).rows,
    )).map((r) => r.to_state);
  expect(await statesOf(leave)).toEqual(['DRAFT', 'SUBMITTED', 'MANAGER_REVIEW', 'APPROVED']);
  expect(await statesOf(ap)).toEqual(['INGESTED', 'MATCH_2W', 'REVIEW', 'APPROVED', 'POSTED', 'PAID']);
  expect(await statesOf(membership)).toEqual(['DUE', 'NOTIFIED', 'GRACE', 'RENEWED']);
  expect(await statesOf(followup)).toEqual(['COMPLETED', 'PENDING_SEND', 'SENT', 'DONE']);
  expect(await statesOf(admin)).toEqual(['DRAFT', 'ACTIVE', 'ON_HOLD', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'COMPLETED']);

  const dir = process.env.HERA_RECORD_HISTORIES === '1' ? fixtures : mkdtempSync(path.join(os.tmpdir(), 'hera-histories-'));
  const instances = { leave_approval: leave, ap_bill_approval: ap, membership_renewal: membership, appt_followup: followup, test_admin_workflow: admin };
  for (const [name, id] of Object.entries(instances)) {
    const handle = h.system.services.temporal.workflow.getHandle(instanceWorkflowId(roles.user.organizationId, id));
    await eventually(async () => expect((await handle.describe()).status.name).toBe('COMPLETED'));
    // The Temporal CLI's JSON history is the format the SDK's replayer reads.
    const { stdout } = await run(process.env.TEMPORAL_CLI!, ['workflow', 'show', '--workflow-id', handle.workflowId, '--address', h.env.temporalAddress, '--output', 'json']);
    writeFileSync(path.join(dir, `${name}.json`), JSON.stringify({ workflow_id: handle.workflowId, history: JSON.parse(stdout) }));
  }

  const json = (folder: string) => readdirSync(folder).filter((f) => f.endsWith('.json')).map((f) => path.join(folder, f));
  // This run's histories, the committed ones (unless re-recording) and the earlier versions'.
  const files = [...json(dir), ...(dir === fixtures ? [] : json(fixtures)), ...json(earlier)];
  expect(files).toHaveLength(Object.keys(instances).length * (dir === fixtures ? 1 : 2) + json(earlier).length);
  expect(json(earlier).length).toBeGreaterThan(0);
  const { stdout } = await run(process.execPath, [path.resolve(__dirname, '../bin/hera.js'), 'replay', ...files], {
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  expect(stdout.trim().split('\n').filter((line) => line.startsWith('ok'))).toHaveLength(files.length);
}, 120_000);
