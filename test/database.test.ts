import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync, mkdtempSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrate, sqlDir } from '../src/db/migrate';
import { dbOptions, openDb } from '../src/db/pool';
import { systemActorId } from '../src/db/queries/codes';
import { startHarness, type Harness } from './support/harness';

let h: Harness;
let orgA: string;
let orgB: string;
let instanceA: string;

beforeAll(async () => {
  h = await startHarness();
  orgA = (await h.organization()).id;
  orgB = (await h.organization()).id;
  const alice = await h.member(orgA, ['admin', 'user']);
  // Rows of organization A in all six tables: an instance (transaction and its step line), a directory user with a
  // role (entities and a HAS_ROLE relationship) and a definition (an entity and its core_dynamic_data field).
  const [res, user, definition] = await Promise.all([
    h.request('POST', '/api/v1/workflows', { token: alice.token, body: { definition_code: 'LEAVE_APPROVAL' } }),
    h.request('PUT', `/api/v1/users/${randomUUID()}`, { token: alice.token, body: { name: 'Row owner', roles: ['manager'] } }),
    h.request('POST', '/api/v1/definitions', { token: alice.token, body: { code: 'RLS_ROWS', states: ['A', 'B'], transitions: [{ from: 'A', to: 'B', by: ['user'] }] } }),
  ]);
  expect([res.status, user.status, definition.status]).toEqual([201, 200, 201]);
  instanceA = res.body.instance_id;
});
afterAll(() => h.close());

/** A raw query on one connection as the application role, inside a transaction that set `org` (or none). */
async function asApp<T extends pg.QueryResultRow>(org: string | null, text: string, values: unknown[] = []) {
  const client = await h.system.services.db.pool.connect();
  try {
    await client.query('begin');
    if (org) await client.query("select set_config('hera.org_id', $1, true)", [org]);
    return await client.query<T>(text, values);
  } finally {
    await client.query('rollback');
    client.release();
  }
}

describe('row-level security, forced, as the application role', () => {
  test('the runtime pool is not a superuser and does not bypass RLS', async () => {
    const { rows } = await asApp(null, 'select current_user as who, rolsuper, rolbypassrls from pg_roles where rolname = current_user');
    expect(rows[0]).toEqual({ who: 'hera_app', rolsuper: false, rolbypassrls: false });
  });

  test('a raw query naming another org’s rows, under that other org’s setting, returns 0 rows, in each of the six tables', async () => {
    const sources = [
      ['core_organizations', 'id'],
      ['core_entities', 'organization_id'],
      ['core_dynamic_data', 'organization_id'],
      ['core_relationships', 'organization_id'],
      ['universal_transactions', 'organization_id'],
      ['universal_transaction_lines', 'organization_id'],
      ['wf_instances_view', 'organization_id'],
    ];
    const seen = [];
    for (const [source, column] of sources) {
      const query = `select count(*)::int as n from ${source} where ${column} = $1`;
      const own = await asApp<{ n: number }>(orgA, query, [orgA]);
      const other = await asApp<{ n: number }>(orgB, query, [orgA]);
      const unset = await asApp<{ n: number }>(null, `select count(*)::int as n from ${source}`);
      seen.push({ source, own: own.rows[0].n > 0, other: other.rows[0].n, unset: unset.rows[0].n });
    }
    expect(seen).toEqual(sources.map(([source]) => ({ source, own: true, other: 0, unset: 0 })));
    const visible = await asApp<{ instance_id: string }>(orgA, 'select instance_id from wf_instances_view');
    expect(visible.rows.map((r) => r.instance_id)).toEqual([instanceA]);
    const orgs = await asApp<{ id: string }>(orgB, 'select id from core_organizations');
    expect(orgs.rows.map((r) => r.id)).toEqual([orgB]);
  });

  test('a write into another organization is refused by the policy', async () => {
    await expect(
      asApp(
        orgB,
        `insert into universal_transactions (organization_id, transaction_type, smart_code, created_by, updated_by)
         values ($1, 'WF_INSTANCE', 'HERA.UNIV.WF.INSTANCE.HEADER.v1', $2, $2)`,
        [orgA, systemActorId],
      ),
    ).rejects.toThrow(/row-level security/);
  });

  test('all six tables force row-level security', async () => {
    const { rows } = await asApp(
      null,
      `select relname, relrowsecurity, relforcerowsecurity from pg_class
        where relname in ('core_organizations', 'core_entities', 'core_dynamic_data', 'core_relationships',
                          'universal_transactions', 'universal_transaction_lines') order by relname`,
    );
    expect(rows).toHaveLength(6);
    for (const row of rows) expect(row).toMatchObject({ relrowsecurity: true, relforcerowsecurity: true });
  });
});

describe('HERA’s constraints', () => {
  const insert = (smartCode: string, actor: string | null) =>
    asApp(
      orgA,
      `insert into universal_transactions (organization_id, transaction_type, smart_code, created_by, updated_by)
       values ($1, 'WF_INSTANCE', $2, $3, $3)`,
      [orgA, smartCode, actor],
    );

  test('the smart-code CHECK rejects codes with too few segments or an upper-case version', async () => {
    await expect(insert('HERA.UNIV.WF.INSTANCE.V1', systemActorId)).rejects.toThrow(/hera_smart_code/);
    await expect(insert('HERA.UNIV.WF.INSTANCE.HEADER.V1', systemActorId)).rejects.toThrow(/hera_smart_code/);
    await expect(insert('HERA.UNIV.WF.INSTANCE.HEADER.v1', systemActorId)).resolves.toMatchObject({ rowCount: 1 });
  });

  test('a write without an actor is rejected', async () => {
    await expect(insert('HERA.UNIV.WF.INSTANCE.HEADER.v1', null)).rejects.toThrow(/created_by/);
  });
});

describe('migrations', () => {
  test('a second run applies nothing', async () => {
    const result = await migrate(h.env.databaseUrl);
    expect(result.applied).toEqual([]);
    expect(result.alreadyApplied).toEqual(readdirSync(sqlDir).filter((f) => f.endsWith('.sql')).sort());
  });

  test('an applied migration whose text changed stops the run, naming the file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hera-sql-'));
    for (const file of readdirSync(sqlDir)) copyFileSync(path.join(sqlDir, file), path.join(dir, file));
    const first = readdirSync(dir).sort()[0];
    writeFileSync(path.join(dir, first), `${readFileSync(path.join(dir, first), 'utf8')}\n-- edited ${randomUUID()}\n`);
    await expect(migrate(h.env.databaseUrl, dir)).rejects.toThrow(new RegExp(`${first} was changed`));
  });
});

describe('the runtime’s own login role', () => {
  /** A client straight from the pool (outside withOrg), released afterwards. */
  async function onPoolClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await h.system.services.db.pool.connect();
    try {
      return await work(client);
    } finally {
      client.release(true);
    }
  }

  test('the session itself is the app role: RESET ROLE or SET ROLE to the owner cannot reach a superuser', async () => {
    await onPoolClient(async (client) => {
      await client.query('reset role');
      const { rows } = await client.query('select session_user = current_user as same, rolsuper, rolbypassrls from pg_roles where rolname = current_user');
      expect(rows[0]).toEqual({ same: true, rolsuper: false, rolbypassrls: false });
      await expect(client.query('set role postgres')).rejects.toThrow(/permission denied/);
    });
  });

  test('every connection has the configured statement and idle-in-transaction timeouts', async () => {
    const { rows } = await h.system.services.db.pool.query<{ statement: string; idle: string }>(
      "select current_setting('statement_timeout') as statement, current_setting('idle_in_transaction_session_timeout') as idle",
    );
    expect(rows[0]).toEqual({ statement: '30s', idle: '1min' });
    const quick = await openDb({ ...dbOptions(h.config, h.env.appDatabaseUrl), max: 1, statementTimeoutMs: 200 });
    try {
      await expect(quick.withOrg(orgA, (sql) => sql.query('select pg_sleep(5)'))).rejects.toThrow(/statement timeout/);
    } finally {
      await quick.close();
    }
  });

  test('a superuser or BYPASSRLS role is refused when the pool opens, naming the problem', async () => {
    await expect(openDb(dbOptions(h.config, h.env.databaseUrl))).rejects.toThrow(/refusing to serve as database role postgres \(SUPERUSER, BYPASSRLS\)/);
    const owner = new pg.Client({ connectionString: h.env.databaseUrl });
    await owner.connect();
    const role = `hera_bypass_${Date.now()}`;
    try {
      await owner.query(`create role ${role} login bypassrls password 'bypass'`);
      const url = new URL(h.env.databaseUrl);
      url.username = role;
      url.password = 'bypass';
      await expect(openDb(dbOptions(h.config, url.toString()))).rejects.toThrow(new RegExp(`refusing to serve as database role ${role} \\(BYPASSRLS\\)`));
    } finally {
      await owner.query(`drop role ${role}`);
      await owner.end();
    }
  });

  test('a pool that gives no connection within HERA_DB_CONNECT_TIMEOUT_MS answers 503 DATABASE_UNAVAILABLE, not a hang', async () => {
    const api = await h.apiWith({ HERA_DB_POOL_MAX: '1', HERA_DB_CONNECT_TIMEOUT_MS: '300' });
    const member = await h.member(orgA, ['user']);
    const held = await api.system.services.db.pool.connect();
    try {
      const started = Date.now();
      const res = await fetch(`${api.url}/api/v1/definitions`, {
        headers: { authorization: `Bearer ${member.token}` },
        signal: AbortSignal.timeout(10_000),
      });
      expect({ status: res.status, body: await res.json() }).toMatchObject({ status: 503, body: { error: { code: 'DATABASE_UNAVAILABLE' } } });
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      held.release();
    }
    // Freed, the pool serves again.
    expect((await fetch(`${api.url}/api/v1/definitions`, { headers: { authorization: `Bearer ${member.token}` } })).status).toBe(200);
    await api.close();
  });

  test('a client whose rollback failed is destroyed, not handed to the next transaction', async () => {
    const db = await openDb({ ...dbOptions(h.config, h.env.appDatabaseUrl), max: 1 });
    const backend = (sql: pg.PoolClient) => sql.query<{ pid: number }>('select pg_backend_pid() as pid').then((r) => r.rows[0].pid);
    try {
      // The connection is alive but its ROLLBACK fails (as when it is cancelled): the transaction may still be open.
      let first = 0;
      await expect(
        db.withOrg(orgA, async (sql) => {
          first = await backend(sql);
          const query = sql.query.bind(sql) as (text: string) => Promise<unknown>;
          (sql as unknown as { query: (text: string) => Promise<unknown> }).query = (text) =>
            text === 'rollback' ? Promise.reject(new Error('rollback failed')) : query(text);
          throw new Error('the work failed');
        }),
      ).rejects.toThrow('the work failed');
      expect(db.pool.totalCount).toBe(0);
      const next = await db.withOrg(orgB, async (sql) => ({ pid: await backend(sql), org: (await sql.query('select hera_current_org() as org')).rows[0].org }));
      expect(next.pid).not.toBe(first);
      expect(next.org).toBe(orgB);

      // The server ends the session inside the transaction: the next one gets a working connection.
      await expect(db.withOrg(orgA, (sql) => sql.query('select pg_terminate_backend(pg_backend_pid())'))).rejects.toThrow();
      expect(await db.withOrg(orgA, async (sql) => (await sql.query('select 1 as one')).rows[0].one)).toBe(1);
    } finally {
      await db.close();
    }
  });
});
