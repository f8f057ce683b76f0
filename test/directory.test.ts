import { randomUUID } from 'node:crypto';
import { startHarness, type Harness, type Member } from './support/harness';

let h: Harness;
let admin: Member;

beforeAll(async () => {
  h = await startHarness();
  admin = await h.member((await h.organization()).id, ['admin', 'user']);
});
afterAll(() => h.close());

const put = (path: string, body: unknown, token = admin.token) => h.request('PUT', path, { token, body });

test('teams and users with roles, teams and a manager; role resolution follows changes', async () => {
  expect(await put('/api/v1/teams/operations', { name: 'Operations' })).toMatchObject({
    status: 200,
    body: { team_code: 'operations', name: 'Operations' },
  });
  const bossId = randomUUID();
  const workerId = randomUUID();
  expect((await put(`/api/v1/users/${bossId}`, { name: 'Boss', roles: ['manager'] })).status).toBe(200);
  const created = await put(`/api/v1/users/${workerId}`, {
    name: 'Worker',
    roles: ['employee', 'manager'],
    teams: ['operations'],
    manager_user_id: bossId,
  });
  expect(created).toMatchObject({
    status: 200,
    body: { user_id: workerId, name: 'Worker', roles: ['employee', 'manager'], teams: ['operations'], manager_user_id: bossId },
  });
  const org = admin.organizationId;
  expect(await h.system.services.roles.usersWithRole(org, 'manager')).toEqual([bossId, workerId].sort());

  const replaced = await put(`/api/v1/users/${workerId}`, { name: 'Worker', roles: ['employee'] });
  expect(replaced.body).toMatchObject({ roles: ['employee'], teams: [], manager_user_id: null });
  expect(await h.system.services.roles.usersWithRole(org, 'manager')).toEqual([bossId]);
});

test('an unknown team or manager is 400; a non-admin is 403; bad ids are 400', async () => {
  const unknownTeam = await put(`/api/v1/users/${randomUUID()}`, { name: 'X', teams: ['nowhere'] });
  expect(unknownTeam.status).toBe(400);
  expect(unknownTeam.body.error).toMatchObject({ code: 'TEAM_NOT_FOUND', details: { teams: ['nowhere'] } });
  const unknownManager = await put(`/api/v1/users/${randomUUID()}`, { name: 'X', manager_user_id: randomUUID() });
  expect(unknownManager.status).toBe(400);
  expect(unknownManager.body.error.code).toBe('USER_NOT_FOUND');
  const member = await h.member(admin.organizationId, ['manager']);
  const denied = await put('/api/v1/teams/sales', { name: 'Sales' }, member.token);
  expect(denied.status).toBe(403);
  expect(denied.body.error.code).toBe('PERMISSION_DENIED');
  const badId = await put('/api/v1/users/not-a-uuid', { name: 'X' });
  expect(badId.status).toBe(400);
  expect(badId.body.error.details.fields[0].field).toBe('user_id');
});

test('another organization’s directory is invisible: the same user id is refused, not overwritten', async () => {
  const userId = randomUUID();
  expect((await put(`/api/v1/users/${userId}`, { name: 'Mine' })).status).toBe(200);
  const otherAdmin = await h.member((await h.organization()).id, ['admin']);
  const clash = await put(`/api/v1/users/${userId}`, { name: 'Theirs' }, otherAdmin.token);
  expect(clash.status).toBe(409);
  expect(clash.body.error.code).toBe('USER_ID_CONFLICT');
  expect(await h.system.services.roles.usersWithRole(otherAdmin.organizationId, 'employee')).toEqual([]);
});

test('every directory call is audited, success or refusal, under its own procedure code', async () => {
  const orgAdmin = await h.member((await h.organization()).id, ['admin', 'user']);
  const member = await h.member(orgAdmin.organizationId, ['manager']);
  const userId = randomUUID();
  expect((await put('/api/v1/teams/support', { name: 'Support' }, orgAdmin.token)).status).toBe(200);
  expect((await put('/api/v1/teams/sales', { name: 'Sales' }, member.token)).status).toBe(403);
  expect((await put(`/api/v1/users/${userId}`, { name: 'Ann', roles: ['manager'], teams: ['support'] }, orgAdmin.token)).status).toBe(200);
  expect((await put(`/api/v1/users/${randomUUID()}`, { name: 'X', teams: ['nowhere'] }, orgAdmin.token)).status).toBe(400);
  const audit = async (procedureCode: string) => {
    const res = await h.request('GET', `/api/v1/audit?procedure_code=${procedureCode}`, { token: orgAdmin.token });
    expect(res.status).toBe(200);
    return res.body.events.map((e: Record<string, unknown>) => [e.procedure_code, e.outcome, e.error_code, e.actor_user_id, e.source]);
  };
  // Newest first.
  expect(await audit('HERA.UNIV.WF.DIRECTORY.TEAM.PUT.V1')).toEqual([
    ['HERA.UNIV.WF.DIRECTORY.TEAM.PUT.V1', 'REFUSED', 'PERMISSION_DENIED', member.userId, 'api'],
    ['HERA.UNIV.WF.DIRECTORY.TEAM.PUT.V1', 'SUCCESS', null, orgAdmin.userId, 'api'],
  ]);
  expect(await audit('HERA.UNIV.WF.DIRECTORY.USER.PUT.V1')).toEqual([
    ['HERA.UNIV.WF.DIRECTORY.USER.PUT.V1', 'REFUSED', 'TEAM_NOT_FOUND', orgAdmin.userId, 'api'],
    ['HERA.UNIV.WF.DIRECTORY.USER.PUT.V1', 'SUCCESS', null, orgAdmin.userId, 'api'],
  ]);
});
