import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { instanceWorkflowId } from '../src/temporal/ids';
import { sweepScheduleId } from '../src/temporal/schedule';
import { eventually } from './support/eventually';
import { startHarness, type Harness, type Member } from './support/harness';

// Every `runbook` block of docs/OPERATIONS.md, run as written (bash, `npx hera` = this checkout's CLI) against the
// real system in the state its incident describes.

const root = path.resolve(__dirname, '..');
const runbook = readFileSync(path.join(root, 'docs/OPERATIONS.md'), 'utf8');
const blocks = new Map([...runbook.matchAll(/```bash runbook (\w+)\n([\s\S]*?)```/g)].map((m) => [m[1], m[2]]));

let h: Harness;
let ops: Member;
let user: Member;

beforeAll(async () => {
  h = await startHarness();
  const org = (await h.organization()).id;
  [ops, user] = await Promise.all([h.member(org, ['admin', 'manager', 'user']), h.member(org, ['user'])]);
});
afterAll(() => h.close());

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one runbook block under `bash -euo pipefail` with `vars`, as an operator's shell would. */
function runBlock(name: string, vars: Record<string, string> = {}): Promise<Run> {
  const script = blocks.get(name);
  if (!script) throw new Error(`docs/OPERATIONS.md has no runbook block ${name}`);
  const prelude = [
    `npx() { [ "$1" = hera ] || return 127; shift; node ${JSON.stringify(path.join(root, 'bin/hera.js'))} "$@"; }`,
    'temporal() { "$TEMPORAL_CLI" "$@" --address "$TEMPORAL_ADDRESS"; }',
  ].join('\n');
  const env = {
    ...process.env,
    DATABASE_URL: h.env.databaseUrl,
    HERA_API_URL: h.api.url,
    HERA_TOKEN: ops.token,
    HERA_TASK_QUEUE: h.config.HERA_TASK_QUEUE,
    HERA_SWEEP_INTERVAL: '1h',
    LOG_LEVEL: 'silent',
    ...vars,
  };
  return new Promise((resolve) => {
    execFile('bash', ['-euo', 'pipefail', '-c', `${prelude}\n${script}`], { env, timeout: 120_000, cwd: root }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const post = (who: Member, route: string, body: unknown = {}) => h.request('POST', route, { token: who.token, body });
const get = (route: string) => h.request('GET', route, { token: ops.token });
const start = async (body: Record<string, unknown>) => {
  const res = await post(user, '/api/v1/workflows', body);
  expect(res.status).toBe(201);
  return res.body.instance_id as string;
};

test('the runbook covers every incident with a block the suite runs', () => {
  expect([...blocks.keys()]).toEqual(['effect', 'breaches', 'outage', 'paused', 'worker', 'temporal', 'sweep', 'reconcile']);
});

test('an effect stuck failing: found with wf get, run again with retry-effects once the receiver is back', async () => {
  let healthy = false;
  const receiver = http.createServer((req, res) => {
    req.resume();
    res.writeHead(healthy ? 200 : 500).end();
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const definition = {
      code: 'RUNBOOK_HOOK',
      states: ['OPEN', 'SENT'],
      transitions: [{ from: 'OPEN', to: 'SENT', by: ['user'], effects: [{ code: 'HERA.UNIV.WF.EFFECT.WEBHOOK.v1', with: { url } }] }],
      effect_retry: { max_attempts: 1, initial_interval: 'PT0.1S' },
    };
    expect((await post(ops, '/api/v1/definitions', definition)).status).toBe(201);
    const id = await start({ definition_code: 'RUNBOOK_HOOK' });
    const moved = await post(user, `/api/v1/workflows/${id}/advance`, { to_state: 'SENT' });
    expect(moved.status).toBe(200);
    const effectsOf = async () => (await get(`/api/v1/workflows/${id}?include_effects=true`)).body.effects as Array<{ effect_status: string; step_id: string }>;
    await eventually(async () => expect((await effectsOf()).map((e) => e.effect_status)).toEqual(['PERMANENTLY_FAILED']));
    healthy = true;

    const run = await runBlock('effect', { ID: id, STEP: moved.body.step_id });
    expect(run).toMatchObject({ code: 0 });
    expect(run.stdout).toContain('PERMANENTLY_FAILED');
    await eventually(async () => expect((await effectsOf()).map((e) => e.effect_status)).toEqual(['COMPLETED']));
  } finally {
    receiver.close();
  }
});

test('a wave of SLA breaches: listed, swept dry, extended and reassigned', async () => {
  expect((await h.request('PUT', '/api/v1/teams/operations', { token: ops.token, body: { name: 'Operations' } })).status).toBe(200);
  expect((await post(ops, '/api/v1/definitions', { code: 'RUNBOOK_SLA', sla_hours: 0.0001, states: ['OPEN', 'DONE'], transitions: [{ from: 'OPEN', to: 'DONE', by: ['user'] }] })).status).toBe(201);
  const id = await start({ definition_code: 'RUNBOOK_SLA' });
  await eventually(async () => expect((await get('/api/v1/workflows?overdue=true')).body.instances.map((i: { instance_id: string }) => i.instance_id)).toContain(id));

  const run = await runBlock('breaches', { ID: id });
  expect(run).toMatchObject({ code: 0 });
  expect(run.stdout).toContain(id);
  const { instance } = (await get(`/api/v1/workflows/${id}`)).body;
  expect(instance.owner_team).toBe('operations');
  expect(Date.parse(instance.sla_at) - Date.parse(instance.created_at)).toBeGreaterThanOrEqual(48 * 3_600_000);
});

test('a vendor outage: the instances waiting on it paused as one job, the others untouched', async () => {
  const definition = { code: 'RUNBOOK_VENDOR', states: ['DRAFT', 'REVIEW', 'DONE'], transitions: [{ from: 'DRAFT', to: 'REVIEW', by: ['user'] }, { from: 'REVIEW', to: 'DONE', by: ['user'] }] };
  expect((await post(ops, '/api/v1/definitions', definition)).status).toBe(201);
  const waiting = await Promise.all([1, 2, 3].map(() => start({ definition_code: 'RUNBOOK_VENDOR' })));
  for (const id of waiting) expect((await post(user, `/api/v1/workflows/${id}/advance`, { to_state: 'REVIEW' })).status).toBe(200);
  const drafting = await start({ definition_code: 'RUNBOOK_VENDOR' });

  const run = await runBlock('outage', { CODE: 'RUNBOOK_VENDOR' });
  expect(run).toMatchObject({ code: 0 });
  expect(run.stdout).toMatch(/matched\s+3/);
  const paused = (await get('/api/v1/workflows?definition_code=RUNBOOK_VENDOR&paused=true')).body.instances.map((i: { instance_id: string }) => i.instance_id);
  expect(paused.sort()).toEqual([...waiting].sort());
  expect(paused).not.toContain(drafting);
  // Run again (as an operator would after a dropped connection): the key joins the job, nothing is paused twice.
  const again = await runBlock('outage', { CODE: 'RUNBOOK_VENDOR' });
  expect(again).toMatchObject({ code: 0 });
  const pauses = await h.system.services.db.withOrg(ops.organizationId, async (sql) =>
    (await sql.query(`select count(*)::int as n from wf_steps_view where instance_id = any($1::uuid[]) and note = 'PAUSE'`, [waiting])).rows,
  );
  expect(pauses).toEqual([{ n: 3 }]);
});

test('a backlog of paused instances: listed, one resumed, the rest by one bulk job', async () => {
  const ids = await Promise.all([1, 2, 3].map(() => start({ definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE' })));
  for (const id of ids) expect((await post(ops, `/api/v1/workflows/${id}/pause`, { reason: 'vendor outage' })).status).toBe(200);

  const run = await runBlock('paused', { ID: ids[0] });
  expect(run).toMatchObject({ code: 0 });
  for (const id of ids) expect(run.stdout).toContain(id);
  expect((await get('/api/v1/workflows?paused=true')).body.instances).toEqual([]);
});

test('a worker down, Temporal down: the checks an operator runs answer', async () => {
  const worker = await runBlock('worker');
  expect(worker).toMatchObject({ code: 0 });
  expect(worker.stdout).toMatch(/poller|Poller|Identity/i);
  const temporal = await runBlock('temporal');
  expect(temporal).toMatchObject({ code: 0 });
  expect(JSON.parse(temporal.stdout)).toEqual({ status: 'ready' });
});

test('the sweep unhealthy: its health, a run now, the schedule ensured', async () => {
  try {
    const run = await runBlock('sweep');
    expect(run).toMatchObject({ code: 0 });
    expect(run.stdout).toContain('"healthy"');
    expect(run.stdout).toMatch(/"action":"(created|updated|unchanged)"/);
  } finally {
    // The schedule is the namespace's: leave none behind for the shard's other files.
    await h.system.services.temporal.schedule.getHandle(sweepScheduleId).delete().catch(() => undefined);
  }
});

test('an instance terminated in the Temporal UI: reconcile dry run, then the row says failed', async () => {
  const id = await start({ definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE' });
  await h.system.services.temporal.workflow.getHandle(instanceWorkflowId(ops.organizationId, id)).terminate('terminated in the UI');
  const run = await runBlock('reconcile', { ID: id });
  expect(run).toMatchObject({ code: 0 });
  expect(run.stdout).toMatch(/mark_failed/);
  expect((await get(`/api/v1/workflows/${id}`)).body.instance.status).toBe('failed');
});
