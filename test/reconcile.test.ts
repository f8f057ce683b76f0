import { randomUUID } from 'node:crypto';
import { instanceWorkflowId } from '../src/temporal/ids';
import { startHarness, type Harness, type Member } from './support/harness';

// An instance whose workflow an operator terminated in the Temporal UI while its row says active: reconcile
// shows what it would change, then repairs the row from Temporal's state.

let h: Harness;
let admin: Member;
let user: Member;

beforeAll(async () => {
  h = await startHarness();
  const org = (await h.organization()).id;
  [admin, user] = await Promise.all([h.member(org, ['admin', 'user']), h.member(org, ['user'])]);
});
afterAll(() => h.close());

const post = (who: Member, path: string, body: unknown = {}) => h.request('POST', path, { token: who.token, body });
const started = async () => (await post(user, '/api/v1/workflows', { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE' })).body.instance_id as string;

test('a terminated instance: dry run first, then its row says failed with what Temporal said; a running one is left alone', async () => {
  const [terminated, running] = await Promise.all([started(), started()]);
  await h.system.services.temporal.workflow.getHandle(instanceWorkflowId(admin.organizationId, terminated)).terminate('operator test');

  const dry = await post(admin, `/api/v1/workflows/${terminated}/reconcile`, { dry_run: true });
  expect(dry.status).toBe(200);
  expect(dry.body).toMatchObject({ row: { status: 'active', current_state: 'ACTIVE' }, temporal: { status: 'TERMINATED' }, action: 'mark_failed', dry_run: true, applied: false });
  expect((await h.request('GET', `/api/v1/workflows/${terminated}`, { token: user.token })).body.instance.status).toBe('active');

  const applied = await post(admin, `/api/v1/workflows/${terminated}/reconcile`, { reason: 'terminated by mistake' });
  expect(applied.body).toMatchObject({ action: 'mark_failed', applied: true });
  expect((await h.request('GET', `/api/v1/workflows/${terminated}`, { token: user.token })).body.instance.status).toBe('failed');
  expect((await post(admin, `/api/v1/workflows/${terminated}/reconcile`)).body).toMatchObject({ row: { status: 'failed' }, action: 'none', applied: false });

  expect((await post(admin, `/api/v1/workflows/${running}/reconcile`)).body).toMatchObject({ row: { status: 'active' }, temporal: { status: 'RUNNING' }, action: 'none', applied: false });
});

test('reconcile is for admins, of their own organization’s instances', async () => {
  const id = await started();
  expect((await post(user, `/api/v1/workflows/${id}/reconcile`, { dry_run: true })).status).toBe(403);
  const unknown = await post(admin, `/api/v1/workflows/${randomUUID()}/reconcile`, { dry_run: true });
  expect(unknown.status).toBe(404);
  expect(unknown.body.error.code).toBe('INSTANCE_NOT_FOUND');
});
