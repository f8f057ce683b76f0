import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually } from './support/eventually';
import { startHarness, type Harness, type Member } from './support/harness';

let h: Harness;
let admin: Member;
let server: http.Server;
/** The status the receiver answers; a test turns it to 200 to let a retry succeed. */
let receiverStatus = 500;

beforeAll(async () => {
  h = await startHarness();
  admin = await h.member((await h.organization()).id, ['admin', 'user']);
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(receiverStatus).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await h.close();
});

async function register(body: Record<string, unknown>) {
  const res = await h.request('POST', '/api/v1/definitions', { token: admin.token, body });
  expect(res.status).toBe(201);
}

async function start(code: string): Promise<string> {
  const res = await h.request('POST', '/api/v1/workflows', { token: admin.token, body: { definition_code: code } });
  expect(res.status).toBe(201);
  return res.body.instance_id;
}

async function listed(query: string): Promise<string[]> {
  const res = await h.request('GET', `/api/v1/workflows?${query}&limit=500`, { token: admin.token });
  expect(res.status).toBe(200);
  return res.body.instances.map((i: { instance_id: string }) => i.instance_id).sort();
}

test('has_failed_effects lists the instances with a permanently failed effect, until a retry succeeds', async () => {
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  await register({
    code: 'FILTER_HOOK',
    states: ['OPEN', 'DONE'],
    transitions: [
      { from: 'OPEN', to: 'DONE', by: ['user'], effects: [{ code: 'HERA.UNIV.WF.EFFECT.WEBHOOK.v1', with: { url } }] },
    ],
    effect_retry: { max_attempts: 1 },
  });
  const failing = await start('FILTER_HOOK');
  const quiet = await start('FILTER_HOOK');
  const advanced = await h.request('POST', `/api/v1/workflows/${failing}/advance`, { token: admin.token, body: { to_state: 'DONE' } });
  expect(advanced.status).toBe(200);

  await eventually(async () => expect(await listed('definition_code=FILTER_HOOK&has_failed_effects=true')).toEqual([failing]));
  expect(await listed('definition_code=FILTER_HOOK&has_failed_effects=false')).toEqual([quiet]);
  const row = await h.request('GET', '/api/v1/workflows?definition_code=FILTER_HOOK&has_failed_effects=true', { token: admin.token });
  expect(row.body.instances[0]).toMatchObject({ instance_id: failing, failed_effects: 1 });

  receiverStatus = 200;
  const retried = await h.request('POST', `/api/v1/workflows/${failing}/retry-effects`, {
    token: admin.token,
    body: { step_id: advanced.body.step_id },
  });
  expect(retried.status).toBe(200);
  await eventually(async () => expect(await listed('definition_code=FILTER_HOOK&has_failed_effects=true')).toEqual([]));
  expect(await listed('definition_code=FILTER_HOOK&has_failed_effects=false')).toEqual([failing, quiet].sort());
});

test('sla_level_min lists the instances whose SLA escalation reached the level', async () => {
  await register({ code: 'FILTER_SLA_SHORT', states: ['OPEN', 'DONE'], transitions: [{ from: 'OPEN', to: 'DONE', by: ['user'] }], sla_hours: 1 / 3600 });
  await register({ code: 'FILTER_SLA_LONG', states: ['OPEN', 'DONE'], transitions: [{ from: 'OPEN', to: 'DONE', by: ['user'] }], sla_hours: 48 });
  const breached = await start('FILTER_SLA_SHORT');
  const onTime = await start('FILTER_SLA_LONG');
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const sweep = await h.request('POST', '/api/v1/scheduler/run', { token: admin.token, body: {} });
  expect(sweep.status).toBe(200);

  expect(await listed('sla_level_min=1')).toEqual([breached]);
  expect(await listed('sla_level_min=2')).toEqual([]);
  // 0 is every instance: no filter.
  expect(await listed('sla_level_min=0')).toEqual(expect.arrayContaining([breached, onTime]));
});

test('updated_after and updated_before split the instances at the moment of their last change', async () => {
  await register({ code: 'FILTER_UPDATED', states: ['OPEN', 'DONE'], transitions: [{ from: 'OPEN', to: 'DONE', by: ['user'] }] });
  const untouched = await start('FILTER_UPDATED');
  const changed = await start('FILTER_UPDATED');
  await new Promise((resolve) => setTimeout(resolve, 50));
  const mark = new Date().toISOString();
  const paused = await h.request('POST', `/api/v1/workflows/${changed}/pause`, { token: admin.token, body: { reason: 'filter test' } });
  expect(paused.status).toBe(200);

  expect(await listed(`definition_code=FILTER_UPDATED&updated_after=${mark}`)).toEqual([changed]);
  expect(await listed(`definition_code=FILTER_UPDATED&updated_before=${mark}`)).toEqual([untouched]);
});

test.each([
  ['sla_level_min=4', 'sla_level_min'],
  ['sla_level_min=two', 'sla_level_min'],
  ['has_failed_effects=yes', 'has_failed_effects'],
  ['updated_after=yesterday', 'updated_after'],
  ['updated_before=2026-13-01T00:00:00Z', 'updated_before'],
])('a bad filter (%s) is a 400 naming the field', async (query, field) => {
  const res = await h.request('GET', `/api/v1/workflows?${query}`, { token: admin.token });
  expect(res.status).toBe(400);
  expect(res.body.error.details.fields.map((f: { field: string }) => f.field)).toEqual([field]);
});
