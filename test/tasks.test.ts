import { randomUUID } from 'node:crypto';
import { startHarness, type Harness, type Member } from './support/harness';

let h: Harness;
let employee: Member;
let manager: Member;
let otherManager: Member;
let system: Member;
let admin: Member;
let user: Member;

beforeAll(async () => {
  h = await startHarness();
  const org = (await h.organization()).id;
  [employee, manager, otherManager, system, admin, user] = await Promise.all([
    h.member(org, ['employee', 'user']),
    h.member(org, ['manager', 'user']),
    h.member(org, ['manager', 'user']),
    h.member(org, ['system']),
    h.member(org, ['admin', 'user']),
    h.member(org, ['user']),
  ]);
});
afterAll(() => h.close());

const post = (member: Member, path: string, body: unknown = {}) => h.request('POST', path, { token: member.token, body });
const tasksOf = (instanceId: string) =>
  h.system.services.db.withOrg(employee.organizationId, async (sql) =>
    (await sql.query('select * from wf_tasks_view where instance_id = $1 order by created_at, title', [instanceId])).rows,
  );

async function inReview() {
  const started = await post(employee, '/api/v1/workflows', { definition_code: 'LEAVE_APPROVAL', context: { days: 2, available_days: 9 } });
  const id = started.body.instance_id as string;
  await post(employee, `/api/v1/workflows/${id}/advance`, { to_state: 'SUBMITTED' });
  await post(system, `/api/v1/workflows/${id}/advance`, { to_state: 'MANAGER_REVIEW' });
  return id;
}

test('task lifecycle (scenario 5): created on state entry, claimed by a manager, completed with an advance', async () => {
  const id = await inReview();
  const [task] = await tasksOf(id);
  expect(task).toMatchObject({ title: 'Review leave request', task_state: 'OPEN', assignee_role: 'manager', priority: 'high', instance_id: id });
  expect(task.due_at.getTime() - task.created_at.getTime()).toBeLessThan(24 * 3_600_000 + 1000);

  const claimed = await post(manager, `/api/v1/tasks/${task.task_id}/claim`);
  expect(claimed).toMatchObject({ status: 200, body: { task_id: task.task_id, state: 'CLAIMED', assignee_user_id: manager.userId } });
  const notMine = await post(otherManager, `/api/v1/tasks/${task.task_id}/complete`, { outcome: 'approved' });
  expect(notMine.status).toBe(403);
  expect(notMine.body.error.code).toBe('UNAUTHORIZED_ASSIGNEE');

  const completed = await post(manager, `/api/v1/tasks/${task.task_id}/complete`, {
    outcome: 'approved',
    advance_workflow: { to_state: 'APPROVED', payload: { approved_by: manager.userId } },
  });
  expect(completed).toMatchObject({ status: 200, body: { state: 'COMPLETED', outcome: 'approved', workflow_advanced: true } });
  const [done] = await tasksOf(id);
  expect(done).toMatchObject({ task_state: 'COMPLETED', completed_by: manager.userId, outcome: 'approved', status: 'completed' });
  const steps = await h.system.services.db.withOrg(employee.organizationId, async (sql) =>
    (await sql.query('select to_state, actor_user_id from wf_steps_view where instance_id = $1 order by line_number desc limit 1', [id])).rows,
  );
  expect(steps).toEqual([{ to_state: 'APPROVED', actor_user_id: manager.userId }]);
});

test('two concurrent claims (scenario 10): one wins, the other is 409 TASK_NOT_OPEN; a claimant needs the role', async () => {
  const id = await inReview();
  const created = await post(manager, `/api/v1/workflows/${id}/tasks`, { title: 'Test Task', assignee_role: 'user', priority: 'low' });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ state: 'OPEN', assignee_role: 'user', assignee_user_id: null, instance_id: id });
  const taskId = created.body.task_id;
  const results = await Promise.all([user, admin].map((who) => post(who, `/api/v1/tasks/${taskId}/claim`)));
  expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
  expect(results.find((r) => r.status === 409)!.body.error.code).toBe('TASK_NOT_OPEN');

  const managersOnly = (await tasksOf(id)).find((t) => t.assignee_role === 'manager')!;
  const wrongRole = await post(user, `/api/v1/tasks/${managersOnly.task_id}/claim`);
  expect(wrongRole.status).toBe(403);
  expect(wrongRole.body.error.code).toBe('UNAUTHORIZED_ROLE');
});

test('escalation: up to the next role, priority only rises, history kept; completed tasks never change', async () => {
  const id = await inReview();
  const [task] = await tasksOf(id);
  const lower = await post(manager, `/api/v1/tasks/${task.task_id}/escalate`, { new_priority: 'medium' });
  expect(lower.status).toBe(400);
  expect(lower.body.error.code).toBe('INVALID_PRIORITY');
  const up = await post(manager, `/api/v1/tasks/${task.task_id}/escalate`, { reason: 'no answer' });
  expect(up.body).toMatchObject({ escalated_to: { role: 'senior_manager', user_id: null }, escalation_count: 1, new_priority: 'urgent' });
  const again = await post(manager, `/api/v1/tasks/${task.task_id}/escalate`, { escalate_to_role: 'director', new_priority: 'urgent' });
  expect(again.body).toMatchObject({ escalated_to: { role: 'director' }, escalation_count: 2 });
  const [escalated] = await tasksOf(id);
  expect(escalated.task.escalation_history).toEqual([
    expect.objectContaining({ from_role: 'manager', to_role: 'senior_manager', reason: 'no answer' }),
    expect.objectContaining({ from_role: 'senior_manager', to_role: 'director' }),
  ]);
  const top = await post(manager, `/api/v1/tasks/${task.task_id}/escalate`);
  expect(top.status).toBe(400);
  expect(top.body.error.code).toBe('NO_ESCALATION_TARGET');

  const director = await h.member(employee.organizationId, ['director']);
  expect((await post(director, `/api/v1/tasks/${task.task_id}/complete`, { outcome: 'done' })).status).toBe(200);
  const late = await post(manager, `/api/v1/tasks/${task.task_id}/escalate`, { escalate_to_role: 'manager' });
  expect(late.status).toBe(409);
  expect(late.body.error.code).toBe('TASK_COMPLETED');
});

test('a person-assigned task escalates to that person’s manager from the directory', async () => {
  const bossId = randomUUID();
  const workerId = randomUUID();
  expect((await h.request('PUT', `/api/v1/users/${bossId}`, { token: admin.token, body: { name: 'Boss', roles: ['manager'] } })).status).toBe(200);
  expect((await h.request('PUT', `/api/v1/users/${workerId}`, { token: admin.token, body: { name: 'Worker', manager_user_id: bossId } })).status).toBe(200);
  const id = await inReview();
  const created = await post(manager, `/api/v1/workflows/${id}/tasks`, { title: 'Personal', assignee_user_id: workerId });
  const escalated = await post(system, `/api/v1/tasks/${created.body.task_id}/escalate`);
  expect(escalated.body).toMatchObject({ escalated_to: { user_id: bossId, role: null }, new_priority: 'high' });
});

test('bad task input: both or no assignee, a past due date, unknown task', async () => {
  const id = await inReview();
  const both = await post(manager, `/api/v1/workflows/${id}/tasks`, { title: 'X', assignee_role: 'user', assignee_user_id: randomUUID() });
  expect(both.status).toBe(400);
  expect(both.body.error.code).toBe('VALIDATION_FAILED');
  const past = await post(manager, `/api/v1/workflows/${id}/tasks`, { title: 'X', assignee_role: 'user', due_at: '2020-01-01T00:00:00Z' });
  expect(past.body.error.code).toBe('INVALID_DUE_DATE');
  const unknown = await post(manager, `/api/v1/tasks/${randomUUID()}/claim`);
  expect(unknown.status).toBe(404);
  expect(unknown.body.error.code).toBe('TASK_NOT_FOUND');
  const byEmployee = await post(employee, `/api/v1/workflows/${id}/tasks`, { title: 'X', assignee_role: 'user' });
  expect(byEmployee.status).toBe(403);
});

test('another organization’s task is 404 TASK_NOT_FOUND on every task route (not 403, not 200), and stays as it was', async () => {
  const started = await post(employee, '/api/v1/workflows', { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE' });
  const id = started.body.instance_id;
  expect((await post(manager, `/api/v1/workflows/${id}/tasks`, { title: 'Theirs to see', assignee_role: 'manager', priority: 'high' })).status).toBe(201);
  const [task] = await tasksOf(id);
  // Every role, so no gate can be what refuses: only the organization can.
  const stranger = await h.member((await h.organization()).id, ['admin', 'manager', 'system', 'user']);
  const attempts = await Promise.all([
    h.request('GET', `/api/v1/tasks/${task.task_id}`, { token: stranger.token }),
    post(stranger, `/api/v1/tasks/${task.task_id}/claim`),
    post(stranger, `/api/v1/tasks/${task.task_id}/complete`, { outcome: 'approved' }),
    post(stranger, `/api/v1/tasks/${task.task_id}/escalate`, { escalate_to_role: 'director' }),
    post(stranger, `/api/v1/tasks/${task.task_id}/reassign`, { assignee_role: 'user' }),
  ]);
  expect(attempts.map((a) => [a.status, a.body.error?.code])).toEqual(Array(5).fill([404, 'TASK_NOT_FOUND']));
  const [after] = await tasksOf(id);
  expect(after).toMatchObject({ task_id: task.task_id, task_state: 'OPEN', assignee_role: 'manager', assignee_user_id: null, priority: 'high', escalation_count: 0 });
  expect(after.updated_at).toEqual(task.updated_at);
});

test('a claim and a completion repeated with their Idempotency-Key answer the first outcome, also once the instance has finished', async () => {
  const id = await inReview();
  const [review] = await tasksOf(id);
  const keyed = (who: Member, path: string, body: unknown, key: string) => h.request('POST', path, { token: who.token, body, headers: { 'Idempotency-Key': key } });
  const claimKey = `claim-${randomUUID()}`;
  const claimed = await keyed(manager, `/api/v1/tasks/${review.task_id}/claim`, {}, claimKey);
  expect(claimed.status).toBe(200);
  // A client that lost the answer retries: the same answer, not 409 TASK_NOT_OPEN.
  expect(await keyed(manager, `/api/v1/tasks/${review.task_id}/claim`, {}, claimKey)).toMatchObject({ status: 200, body: claimed.body });
  expect((await keyed(manager, `/api/v1/tasks/${review.task_id}/claim`, {}, `claim-${randomUUID()}`)).body.error.code).toBe('TASK_NOT_OPEN');

  const completeKey = `complete-${randomUUID()}`;
  const body = { outcome: 'approved', advance_workflow: { to_state: 'APPROVED' } };
  const completed = await keyed(manager, `/api/v1/tasks/${review.task_id}/complete`, body, completeKey);
  expect(completed).toMatchObject({ status: 200, body: { state: 'COMPLETED', workflow_advanced: true } });
  // The completion finished the instance; its retry is still answered as it was.
  expect(await keyed(manager, `/api/v1/tasks/${review.task_id}/complete`, body, completeKey)).toMatchObject({ status: 200, body: completed.body });
});
