import pg from 'pg';
import { eventually } from './support/eventually';
import { startHarness, type Harness, type Member } from './support/harness';

let h: Harness;
let member: Member;
let owner: pg.Client;

beforeAll(async () => {
  h = await startHarness();
  member = await h.member((await h.organization()).id, ['user']);
  owner = new pg.Client({ connectionString: h.env.databaseUrl });
  await owner.connect();
});
afterAll(async () => {
  await owner.end();
  await h.close();
});

test('a request whose database session ends mid-query (restart, failover, terminated backend) answers 503 DATABASE_UNAVAILABLE, not 500', async () => {
  const started = await h.request('POST', '/api/v1/workflows', { token: member.token, body: { definition_code: 'LEAVE_APPROVAL' } });
  expect(started.status).toBe(201);
  // The instances' table locked, the read waits in its query; then its session is ended under it.
  await owner.query('begin');
  try {
    await owner.query('lock table universal_transactions in access exclusive mode');
    const read = h.request('GET', `/api/v1/workflows/${started.body.instance_id}`, { token: member.token });
    const [waiting] = await eventually(async () => {
      const { rows } = await owner.query("select pid from pg_stat_activity where wait_event_type = 'Lock' and usename <> current_user");
      expect(rows).toHaveLength(1);
      return rows;
    });
    await owner.query('select pg_terminate_backend($1)', [waiting.pid]);
    expect(await read).toMatchObject({ status: 503, body: { error: { code: 'DATABASE_UNAVAILABLE' } } });
  } finally {
    await owner.query('rollback');
  }
  // The pool replaced the lost connection: the next request is served.
  expect((await h.request('GET', `/api/v1/workflows/${started.body.instance_id}`, { token: member.token })).status).toBe(200);
});
