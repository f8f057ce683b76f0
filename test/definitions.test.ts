import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startHarness, type Harness, type Member } from './support/harness';

let h: Harness;
let admin: Member;
let user: Member;

beforeAll(async () => {
  h = await startHarness();
  const org = (await h.organization()).id;
  admin = await h.member(org, ['admin', 'user']);
  user = await h.member(org, ['user']);
});
afterAll(() => h.close());

const pinV1 = {
  code: 'PINNED',
  version: 1,
  states: ['A', 'B', 'C'],
  transitions: [{ from: 'A', to: 'B', by: ['user'] }],
};
const pinV2 = { ...pinV1, version: 2, transitions: [...pinV1.transitions, { from: 'A', to: 'C', by: ['user'] }] };

const register = (body: unknown, token = admin.token) => h.request('POST', '/api/v1/definitions', { token, body });

describe('registering definitions', () => {
  test('201 on first registration, again 201 unchanged; other content under the same version is 409', async () => {
    expect(await register(pinV1)).toMatchObject({ status: 201, body: { definition_code: 'PINNED', version: 1, created: true } });
    expect(await register(pinV1)).toMatchObject({ status: 201, body: { created: false } });
    const clash = await register({ ...pinV1, states: ['A', 'B', 'C', 'D'] });
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe('DEFINITION_VERSION_EXISTS');
  });

  test('unknown guard or effect codes are 400 INVALID_DEFINITION naming them; a malformed definition is 400 VALIDATION_FAILED', async () => {
    const res = await register({
      code: 'BAD_REFS',
      states: ['A', 'B'],
      transitions: [{ from: 'A', to: 'B', by: ['user'], guards: ['HERA.UNIV.WF.GUARD.NOPE.v1'], effects: [{ code: 'HERA.UNIV.WF.EFFECT.WEBHOOK.v1', with: {} }] }],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_DEFINITION');
    expect(res.body.error.details.problems.map((p: { path: string }) => p.path)).toEqual([
      'transitions.0.guards.0',
      'transitions.0.effects.0.with',
    ]);
    const malformed = await register({ code: 'x', states: [] });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('VALIDATION_FAILED');
  });

  test('YAML with Content-Type application/yaml is accepted; broken YAML is 400', async () => {
    const yaml = 'code: YAML_DEF\nstates: [X, Y]\ntransitions:\n  - { from: X, to: Y, by: [user] }\n';
    const res = await h.request('POST', '/api/v1/definitions', { token: admin.token, rawBody: yaml, headers: { 'content-type': 'application/yaml' } });
    expect(res).toMatchObject({ status: 201, body: { definition_code: 'YAML_DEF', version: 1 } });
    const broken = await h.request('POST', '/api/v1/definitions', { token: admin.token, rawBody: 'code: [unclosed', headers: { 'content-type': 'application/yaml' } });
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe('INVALID_YAML');
  });

  test('only admins register (403 PERMISSION_DENIED); members list their own and the platform definitions', async () => {
    const denied = await register({ ...pinV1, code: 'NOT_MINE' }, user.token);
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('PERMISSION_DENIED');
    const list = await h.request('GET', '/api/v1/definitions', { token: user.token });
    expect(list.status).toBe(200);
    const listed = list.body.definitions.map((d: { definition_code: string; source: string }) => `${d.source}:${d.definition_code}`);
    expect(listed).toEqual(expect.arrayContaining(['organization:PINNED', 'platform:LEAVE_APPROVAL']));
    expect(listed).not.toContain('organization:NOT_MINE');
  });
});

test('an instance stays pinned to the version it started with (scenario 7)', async () => {
  const org = (await h.organization()).id;
  const orgAdmin = await h.member(org, ['admin', 'user']);
  expect((await register(pinV1, orgAdmin.token)).status).toBe(201);
  const old = await h.request('POST', '/api/v1/workflows', { token: orgAdmin.token, body: { definition_code: 'PINNED' } });
  expect(old.body.definition_version).toBe(1);
  expect((await register(pinV2, orgAdmin.token)).status).toBe(201);
  const fresh = await h.request('POST', '/api/v1/workflows', { token: orgAdmin.token, body: { definition_code: 'PINNED' } });
  expect(fresh.body.definition_version).toBe(2);

  const oldToC = await h.request('POST', `/api/v1/workflows/${old.body.instance_id}/advance`, { token: orgAdmin.token, body: { to_state: 'C' } });
  expect(oldToC.status).toBe(400);
  expect(oldToC.body.error.code).toBe('INVALID_TRANSITION');
  const freshToC = await h.request('POST', `/api/v1/workflows/${fresh.body.instance_id}/advance`, { token: orgAdmin.token, body: { to_state: 'C' } });
  expect(freshToC.status).toBe(200);
});

test('hera definitions register FILE registers through the same procedure', async () => {
  const org = (await h.organization()).id;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hera-def-'));
  const file = path.join(dir, 'cli.yaml');
  writeFileSync(file, 'code: FROM_CLI\nversion: 3\nstates: [ONE, TWO]\ntransitions:\n  - { from: ONE, to: TWO, by: [user] }\n');
  const env = { ...process.env, DATABASE_URL: h.env.databaseUrl, LOG_LEVEL: 'silent' };
  const { stdout } = await promisify(execFile)(process.execPath, [path.resolve(__dirname, '../bin/hera.js'), 'definitions', 'register', file, '--org', org], { env });
  expect(JSON.parse(stdout)).toEqual({ definition_code: 'FROM_CLI', version: 3, created: true });
  const member = await h.member(org, ['user']);
  const started = await h.request('POST', '/api/v1/workflows', { token: member.token, body: { definition_code: 'FROM_CLI' } });
  expect(started.body).toMatchObject({ definition_version: 3, current_state: 'ONE' });
});

test('every registration is audited, success or refusal', async () => {
  const org = (await h.organization()).id;
  const [orgAdmin, member] = await Promise.all([h.member(org, ['admin', 'user']), h.member(org, ['user'])]);
  const audited = { ...pinV1, code: 'AUDITED' };
  expect((await register(audited, orgAdmin.token)).status).toBe(201);
  expect((await register({ ...audited, states: ['A', 'B', 'C', 'D'] }, orgAdmin.token)).status).toBe(409);
  expect((await register({ ...audited, code: 'NOT_ALLOWED' }, member.token)).status).toBe(403);
  expect((await register({ code: 'BAD', states: ['A', 'B'], transitions: [{ from: 'A', to: 'B', by: ['user'], guards: ['HERA.UNIV.WF.GUARD.NOPE.v1'] }] }, orgAdmin.token)).status).toBe(400);
  const res = await h.request('GET', '/api/v1/audit?procedure_code=HERA.UNIV.WF.DEFINITION.REGISTER.V1', { token: orgAdmin.token });
  expect(res.status).toBe(200);
  // Newest first.
  expect(res.body.events.map((e: Record<string, unknown>) => [e.procedure_code, e.outcome, e.error_code, e.actor_user_id, e.source])).toEqual([
    ['HERA.UNIV.WF.DEFINITION.REGISTER.V1', 'REFUSED', 'INVALID_DEFINITION', orgAdmin.userId, 'api'],
    ['HERA.UNIV.WF.DEFINITION.REGISTER.V1', 'REFUSED', 'PERMISSION_DENIED', member.userId, 'api'],
    ['HERA.UNIV.WF.DEFINITION.REGISTER.V1', 'REFUSED', 'DEFINITION_VERSION_EXISTS', orgAdmin.userId, 'api'],
    ['HERA.UNIV.WF.DEFINITION.REGISTER.V1', 'SUCCESS', null, orgAdmin.userId, 'api'],
  ]);
});
