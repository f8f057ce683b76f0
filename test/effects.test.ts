import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually } from './support/eventually';
import { startHarness, type Harness, type Member } from './support/harness';

let h: Harness;
let admin: Member;
let server: http.Server;
/** Per path: the answers still to give (status codes; the last one repeats) and the requests seen. */
const hooks = new Map<string, { plan: number[]; seen: Array<{ key: string | undefined; body: any }> }>();

beforeAll(async () => {
  h = await startHarness();
  admin = await h.member((await h.organization()).id, ['admin', 'user']);
  server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      const hook = hooks.get(req.url ?? '');
      if (!hook) return res.writeHead(404).end();
      hook.seen.push({ key: req.headers['idempotency-key'] as string | undefined, body: JSON.parse(text) });
      const status = hook.plan.length > 1 ? hook.plan.shift()! : hook.plan[0];
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await h.close();
});

async function webhookInstance(code: string, plan: number[], maxAttempts: number) {
  const path = `/${code}`;
  hooks.set(path, { plan, seen: [] });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  const registered = await h.request('POST', '/api/v1/definitions', {
    token: admin.token,
    body: {
      code,
      states: ['OPEN', 'DONE'],
      transitions: [{ from: 'OPEN', to: 'DONE', by: ['user'], effects: [{ code: 'HERA.UNIV.WF.EFFECT.WEBHOOK.v1', with: { url } }] }],
      effect_retry: { max_attempts: maxAttempts, initial_interval: 'PT0.2S', backoff: 1, max_interval: 'PT0.2S' },
    },
  });
  expect(registered.status).toBe(201);
  const started = await h.request('POST', '/api/v1/workflows', { token: admin.token, body: { definition_code: code } });
  expect(started.status).toBe(201);
  const id = started.body.instance_id;
  const advanced = await h.request('POST', `/api/v1/workflows/${id}/advance`, { token: admin.token, body: { to_state: 'DONE' } });
  expect(advanced.status).toBe(200);
  expect(advanced.body.effects_queued).toEqual(['HERA.UNIV.WF.EFFECT.WEBHOOK.v1']);
  return { id, stepId: advanced.body.step_id as string, hook: hooks.get(path)! };
}

const effectOf = async (instanceId: string) =>
  h.system.services.db.withOrg(admin.organizationId, async (sql) => {
    const { rows } = await sql.query('select * from wf_effects_view where instance_id = $1', [instanceId]);
    return rows;
  });

test('a webhook failing twice then succeeding ends COMPLETED after three attempts with one stable Idempotency-Key', async () => {
  const { id, stepId, hook } = await webhookInstance('FLAKY_HOOK', [500, 503, 200], 5);
  const [effect] = await eventually(async () => {
    const rows = await effectOf(id);
    expect(rows[0]?.effect_status).toBe('COMPLETED');
    return rows;
  });
  expect(effect).toMatchObject({ attempt_count: 3, step_id: stepId, last_error: null });
  expect(hook.seen).toHaveLength(3);
  expect(new Set(hook.seen.map((s) => s.key))).toEqual(new Set([effect.effect_id]));
  expect(hook.seen[0].body).toMatchObject({ instance: { instance_id: id }, step: { step_id: stepId, to_state: 'DONE' } });
  const [step] = await h.system.services.db.withOrg(admin.organizationId, async (sql) =>
    (await sql.query('select effects_failed from wf_steps_view where step_id = $1', [stepId])).rows,
  );
  expect(step.effects_failed).toEqual([]);
});

test('a webhook that never succeeds ends PERMANENTLY_FAILED and is listed in the step’s effects_failed', async () => {
  const { id, stepId, hook } = await webhookInstance('DEAD_HOOK', [500], 2);
  const [effect] = await eventually(async () => {
    const rows = await effectOf(id);
    expect(rows[0]?.effect_status).toBe('PERMANENTLY_FAILED');
    return rows;
  });
  expect(effect).toMatchObject({ attempt_count: 2, last_error: expect.stringContaining('answered 500') });
  expect(hook.seen).toHaveLength(2);
  const [step] = await h.system.services.db.withOrg(admin.organizationId, async (sql) =>
    (await sql.query('select effects_failed from wf_steps_view where step_id = $1', [stepId])).rows,
  );
  expect(step.effects_failed).toEqual(['HERA.UNIV.WF.EFFECT.WEBHOOK.v1']);
});
