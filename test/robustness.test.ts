import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { loadContracts } from '../src/procedures/contracts';
import { instanceWorkflowId } from '../src/temporal/ids';
import { startHarness, type Harness, type Member } from './support/harness';

let h: Harness;
let admin: Member;

beforeAll(async () => {
  h = await startHarness();
  admin = await h.member((await h.organization()).id, ['admin', 'manager', 'system', 'user']);
});
afterAll(() => h.close());

test('every route answers malformed and hostile input with a 4xx JSON error, never a 5xx', async () => {
  const routes = loadContracts().flatMap((c) => c.routes);
  const segment = fc.oneof(fc.uuid(), fc.constantFrom('x', '..', '%00', "'; drop table x;--", 'ÿ'.repeat(300)));
  const body = fc.oneof(
    fc.jsonValue(),
    fc.dictionary(fc.constantFrom('to_state', 'definition_code', 'limit', 'cursor', 'organization_id', 'on_fire', 'name', 'roles', '__proto__', 'constructor'), fc.jsonValue()),
  );
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...routes), segment, body, async (route, param, payload) => {
      const url = route.path.replace(/:([a-z_]+)/g, () => encodeURIComponent(param));
      const res = route.method === 'GET'
        ? await h.request('GET', `${url}?limit=${encodeURIComponent(JSON.stringify(payload)).slice(0, 200)}`, { token: admin.token })
        : await h.request(route.method, url, { token: admin.token, rawBody: JSON.stringify(payload), headers: { 'content-type': 'application/json' } });
      const ok = res.status < 300;
      expect({ route: `${route.method} ${route.path}`, status: res.status, ok: ok || typeof res.body?.error?.code === 'string' }).toEqual({
        route: `${route.method} ${route.path}`,
        status: res.status < 500 ? res.status : 'no 5xx',
        ok: true,
      });
    }),
    { numRuns: 300 },
  );
}, 120_000);

test('two workers on one task queue share the instances', async () => {
  const second = spawn(process.execPath, [path.resolve(__dirname, '../bin/hera.js'), 'worker'], {
    env: { ...process.env, DATABASE_URL: h.env.databaseUrl, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise((resolve) => second.once('exit', resolve));
  try {
    await new Promise<void>((resolve, reject) => {
      let output = '';
      second.stderr!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('worker running')) resolve();
      });
      second.once('exit', (code) => reject(new Error(`worker exited ${code}: ${output}`)));
    });
    const ids: string[] = [];
    for (let i = 0; i < 12; i += 1) {
      const res = await h.request('POST', '/api/v1/workflows', { token: admin.token, body: { definition_code: 'TEST_ADMIN_WORKFLOW' } });
      expect(res.status).toBe(201);
      ids.push(res.body.instance_id);
      expect((await h.request('POST', `/api/v1/workflows/${res.body.instance_id}/advance`, { token: admin.token, body: { to_state: 'ACTIVE' } })).status).toBe(200);
    }
    const identities = new Set<string>();
    for (const id of ids) {
      const { stdout } = await promisify(execFile)(process.env.TEMPORAL_CLI!, [
        'workflow', 'show', '--workflow-id', instanceWorkflowId(admin.organizationId, id), '--address', h.env.temporalAddress, '--output', 'json',
      ]);
      for (const event of JSON.parse(stdout).events) {
        const identity = event.workflowTaskCompletedEventAttributes?.identity ?? event.activityTaskStartedEventAttributes?.identity;
        if (identity) identities.add(identity);
      }
    }
    expect(identities.size).toBeGreaterThanOrEqual(2);
  } finally {
    second.kill('SIGTERM');
    await exited;
  }
}, 120_000);
