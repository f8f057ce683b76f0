import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { recountWorkflowMetrics } from '../bench/support/metricsRecount';
import { eventually } from './support/eventually';
import { startHarness, type Harness, type Member } from './support/harness';

// GET /api/v1/metrics/workflows reads counters the database keeps: after a random mix of starts, advances,
// pauses, resumes, cancels, completions, task changes and failing effects, its numbers equal a full recount.

let h: Harness;
let admin: Member;
let receiver: Server;

/** A small deterministic generator: the mix is the same on every run, and a failure names its seed. */
function generator(seed: number) {
  let state = seed >>> 0;
  // mulberry32
  return (n: number) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n);
  };
}

beforeAll(async () => {
  h = await startHarness();
  admin = await h.member((await h.organization()).id, ['admin', 'user', 'manager']);
  receiver = createServer((_req, res) => res.writeHead(500).end());
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  for (const code of ['METRICS_A', 'METRICS_B']) {
    const res = await h.request('POST', '/api/v1/definitions', {
      token: admin.token,
      body: {
        code,
        states: ['OPEN', 'REVIEW', 'DONE'],
        sla_hours: code === 'METRICS_A' ? 2 / 3600 : 12,
        transitions: [
          { from: 'OPEN', to: 'REVIEW', by: ['user'], effects: code === 'METRICS_B' ? [{ code: 'HERA.UNIV.WF.EFFECT.WEBHOOK.v1', with: { url } }] : [] },
          { from: 'REVIEW', to: 'DONE', by: ['user'] },
          { from: 'REVIEW', to: 'OPEN', by: ['user'] },
        ],
        tasks: [{ on_enter: 'REVIEW', title: 'Review', assignee_role: code === 'METRICS_A' ? 'manager' : 'user', priority: code === 'METRICS_A' ? 'high' : 'low' }],
        effect_retry: { max_attempts: 1, initial_interval: 'PT0.1S' },
      },
    });
    expect(res.status).toBe(201);
  }
});
afterAll(async () => {
  await h.close();
  await new Promise((resolve) => receiver.close(resolve));
});

const call = (method: 'GET' | 'POST', path: string, body?: unknown) => h.request(method, path, { token: admin.token, ...(body !== undefined ? { body } : {}) });
const metrics = async () => (await call('GET', '/api/v1/metrics/workflows')).body;
const recount = () => h.system.services.db.withOrg(admin.organizationId, (sql) => recountWorkflowMetrics(sql, admin.organizationId, Date.now()));

/** The API's answer in the recount's shape (non-zero hours only, as `YYYY-MM-DDTHH`). */
function counted(m: Record<string, any>) {
  const { active_instances, completed_instances, cancelled_instances, failed_instances, paused_instances, overdue_instances, at_risk_instances, instances, tasks_open, tasks_overdue, effects_failed } = m;
  return {
    active_instances,
    completed_instances,
    cancelled_instances,
    failed_instances,
    paused_instances,
    overdue_instances,
    at_risk_instances,
    instances,
    tasks_open,
    tasks_overdue,
    effects_failed,
    throughput: m.throughput
      .filter((b: { started: number; completed: number }) => b.started || b.completed)
      .map((b: { hour: string; started: number; completed: number }) => ({ hour: b.hour.slice(0, 13), started: b.started, completed: b.completed })),
  };
}

test('after a random mix of commands the metrics equal a full recount', async () => {
  const before = await metrics();
  expect(before).toMatchObject({ active_instances: 0, instances: [], tasks_open: [], throughput: expect.any(Array) });
  expect(before.throughput).toHaveLength(48);
  const random = generator(20261126);
  const ids: string[] = [];
  for (let step = 0; step < 60; step += 1) {
    const choice = ids.length < 4 ? 0 : random(8);
    const id = ids[random(ids.length || 1)];
    if (choice === 0) {
      const res = await call('POST', '/api/v1/workflows', { definition_code: random(2) ? 'METRICS_A' : 'METRICS_B' });
      expect(res.status).toBe(201);
      ids.push(res.body.instance_id);
    } else if (choice <= 2) await call('POST', `/api/v1/workflows/${id}/advance`, { to_state: 'REVIEW' });
    else if (choice === 3) await call('POST', `/api/v1/workflows/${id}/advance`, { to_state: random(2) ? 'DONE' : 'OPEN' });
    else if (choice === 4) await call('POST', `/api/v1/workflows/${id}/pause`, { reason: 'mix' });
    else if (choice === 5) await call('POST', `/api/v1/workflows/${id}/resume`, {});
    else if (choice === 6) await call('POST', `/api/v1/workflows/${id}/cancel`, { reason: 'mix' });
    else {
      const open = (await call('GET', `/api/v1/tasks?instance_id=${id}&task_state=OPEN`)).body.tasks ?? [];
      if (open.length) await call('POST', `/api/v1/tasks/${open[0].task_id}/${random(2) ? 'claim' : 'complete'}`, { outcome: 'done' });
    }
  }
  // And one of each outcome, whatever the mix reached: overdue, paused, completed, cancelled, a failed effect and an open task.
  const start = async (code: string) => (await call('POST', '/api/v1/workflows', { definition_code: code })).body.instance_id as string;
  await start('METRICS_A');
  const [paused, completed, cancelled, failing] = [await start('METRICS_B'), await start('METRICS_B'), await start('METRICS_B'), await start('METRICS_B')];
  expect((await call('POST', `/api/v1/workflows/${paused}/pause`, { reason: 'tail' })).status).toBe(200);
  expect((await call('POST', `/api/v1/workflows/${completed}/advance`, { to_state: 'REVIEW' })).status).toBe(200);
  expect((await call('POST', `/api/v1/workflows/${completed}/advance`, { to_state: 'DONE' })).status).toBe(200);
  expect((await call('POST', `/api/v1/workflows/${cancelled}/cancel`, { reason: 'tail' })).status).toBe(200);
  expect((await call('POST', `/api/v1/workflows/${failing}/advance`, { to_state: 'REVIEW' })).status).toBe(200);
  // The 2-second SLAs breach on time and the webhooks fail for good in the background: wait for both to settle.
  await eventually(async () => {
    const [pending] = await h.system.services.db.withOrg(admin.organizationId, async (sql) =>
      (await sql.query(`select count(*)::int as n from wf_effects_view where organization_id = $1 and effect_status not in ('COMPLETED', 'PERMANENTLY_FAILED')`, [admin.organizationId])).rows,
    );
    expect(pending.n).toBe(0);
  }, 20_000, 200);
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  // (The SLAs at risk fall 12 hours ahead: the two reads' windows of a day differ by milliseconds only.)
  const answer = await metrics();
  const reference = await recount();
  expect(counted(answer)).toEqual(reference);
  // Every kind of number is there.
  expect(answer.completed_instances).toBeGreaterThan(0);
  expect(answer.cancelled_instances).toBeGreaterThan(0);
  expect(answer.paused_instances).toBeGreaterThan(0);
  expect(answer.at_risk_instances).toBeGreaterThan(0);
  expect(answer.overdue_instances).toBeGreaterThan(0);
  expect(answer.effects_failed).toBeGreaterThan(0);
  expect(answer.tasks_open_total).toBe(reference.tasks_open.reduce((sum: number, t: { count: number }) => sum + t.count, 0));
  expect(answer.tasks_open_total).toBeGreaterThan(0);
  expect(answer.time_in_state.length).toBeGreaterThan(0);
  expect(answer.time_in_state[0]).toMatchObject({ definition_code: expect.stringMatching(/^METRICS_/), median_seconds: expect.any(Number), p90_seconds: expect.any(Number) });
  expect(answer.sweep).toMatchObject({ runs_24h: expect.any(Number), recent: expect.any(Array) });
}, 120_000);

test('at risk counts running, unpaused instances due within a day that have not breached', async () => {
  const started = await call('POST', '/api/v1/workflows', { definition_code: 'METRICS_B' });
  const before = (await metrics()).at_risk_instances;
  expect(before).toBeGreaterThanOrEqual(1);
  await call('POST', `/api/v1/workflows/${started.body.instance_id}/pause`, { reason: 'not at risk while paused' });
  expect((await metrics()).at_risk_instances).toBe(before - 1);
});

test('only admins read the metrics', async () => {
  const user = await h.member(admin.organizationId, ['user']);
  expect((await h.request('GET', '/api/v1/metrics/workflows', { token: user.token })).status).toBe(403);
});
