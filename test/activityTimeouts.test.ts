import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { instanceWorkflowId } from '../src/temporal/ids';
import { eventually } from './support/eventually';
import { startHarness, type Harness, type Member } from './support/harness';
import { childWorker, forgetStickyWorker, pollersOn, type ChildWorker } from './support/worker';

let h: Harness;
let member: Member;

beforeAll(async () => {
  h = await startHarness();
  member = await h.member((await h.organization()).id, ['admin', 'user', 'employee']);
});
afterAll(() => h.close());

/** Two workers on a task queue of their own (the second started on demand) and an API that sends there. */
async function queueOfOwn(name: string) {
  const taskQueue = `${name}-${Date.now()}`;
  const first = childWorker(h.env.databaseUrl, taskQueue);
  await first.running;
  await pollersOn(h.system.services.temporal, taskQueue);
  const api = await h.apiWith({ HERA_TASK_QUEUE: taskQueue, HERA_COMMAND_TIMEOUT_MS: '60000' });
  return { taskQueue, first, api };
}

test('a command whose worker is killed mid-transaction completes on another worker within seconds', async () => {
  const { taskQueue, first, api } = await queueOfOwn('persist-kill');
  let second: ChildWorker | undefined;
  const owner = new pg.Client({ connectionString: h.env.databaseUrl });
  await owner.connect();
  try {
    const started = await api.call(member, '/api/v1/workflows', { definition_code: 'LEAVE_APPROVAL', context: { days: 1 } });
    expect(started.status).toBe(201);
    const instanceId = started.body.instance_id as string;

    // The instance's row is locked, so the transition's transaction waits in the first worker's activity.
    await owner.query('begin');
    await owner.query('select 1 from universal_transactions where id = $1 for update', [instanceId]);
    const advanced = api.call(member, `/api/v1/workflows/${instanceId}/advance`, { to_state: 'SUBMITTED' });
    await eventually(async () => {
      const { rows } = await owner.query("select 1 from pg_stat_activity where wait_event_type = 'Lock' and usename <> current_user");
      expect(rows).toHaveLength(1);
    });
    second = childWorker(h.env.databaseUrl, taskQueue);
    await second.running;

    await first.kill();
    const killedAt = Date.now();
    // What a worker stopping in order would tell the server; a killed one holds its sticky queue 10 s more.
    await forgetStickyWorker(h.system.services.temporal, [instanceWorkflowId(member.organizationId, instanceId)]);
    await owner.query('rollback');
    const answer = await advanced;
    const heldMs = Date.now() - killedAt;
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ from_state: 'DRAFT', to_state: 'SUBMITTED' });
    // The persistence activity's 5 s start-to-close timeout and its 1 s retry, not 30 s.
    expect(heldMs).toBeLessThan(12_000);
  } finally {
    await owner.end();
    await api.close();
    await first.kill();
    await second?.kill();
  }
}, 120_000);

test('an effect whose worker dies mid-delivery is sent again within seconds, under the same Idempotency-Key', async () => {
  const calls: Array<{ at: number; key: string | undefined }> = [];
  // The first delivery is held unanswered (its worker dies meanwhile); later ones are answered 200.
  const receiver = http.createServer((req, res) => {
    calls.push({ at: Date.now(), key: req.headers['idempotency-key'] as string | undefined });
    req.resume();
    if (calls.length > 1) req.on('end', () => res.writeHead(200).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const { taskQueue, first, api } = await queueOfOwn('effect-kill');
  let second: ChildWorker | undefined;
  try {
    const code = `HEARTBEAT_HOOK_${Date.now()}`;
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const registered = await api.call(member, '/api/v1/definitions', {
      code,
      states: ['OPEN', 'DONE'],
      transitions: [{ from: 'OPEN', to: 'DONE', by: ['user'], effects: [{ code: 'HERA.UNIV.WF.EFFECT.WEBHOOK.v1', with: { url, timeout_ms: 60_000 } }] }],
      effect_retry: { max_attempts: 5, initial_interval: 'PT0.2S', backoff: 1, max_interval: 'PT0.2S' },
    });
    expect(registered.status).toBe(201);
    const started = await api.call(member, '/api/v1/workflows', { definition_code: code });
    expect(started.status).toBe(201);
    const advanced = await api.call(member, `/api/v1/workflows/${started.body.instance_id}/advance`, { to_state: 'DONE', actor_role: 'user' });
    expect(advanced.status).toBe(200);

    await eventually(async () => expect(calls).toHaveLength(1));
    second = childWorker(h.env.databaseUrl, taskQueue);
    await second.running;
    await first.kill();
    const killedAt = Date.now();
    await eventually(async () => expect(calls).toHaveLength(2), 30_000);
    // Noticed by the missing heartbeat (5 s), not the 2-minute start-to-close timeout.
    expect(calls[1].at - killedAt).toBeLessThan(10_000);
    expect(calls[1].key).toBe(calls[0].key);
    await eventually(async () => {
      const effects = await h.system.services.db.withOrg(member.organizationId, async (sql) =>
        (await sql.query('select effect_status from wf_effects_view where instance_id = $1', [started.body.instance_id])).rows,
      );
      expect(effects).toEqual([{ effect_status: 'COMPLETED' }]);
    });
  } finally {
    await api.close();
    await first.kill();
    await second?.kill();
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
  }
}, 120_000);
