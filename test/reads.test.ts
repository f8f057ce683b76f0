import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { insertNotification } from '../src/db/queries/effects';
import { startHarness, type Harness, type Member } from './support/harness';

let h: Harness;
let user: Member;
let admin: Member;
let manager: Member;
const ids: Record<string, string[]> = { DRAFT: [], ACTIVE: [], paused: [] };

beforeAll(async () => {
  h = await startHarness();
  const org = (await h.organization()).id;
  [user, admin, manager] = await Promise.all([h.member(org, ['user']), h.member(org, ['admin', 'user']), h.member(org, ['manager', 'user'])]);
  for (let i = 0; i < 9; i += 1) {
    const state = i % 3 === 0 ? 'DRAFT' : 'ACTIVE';
    const res = await h.request('POST', '/api/v1/workflows', { token: user.token, body: { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: state } });
    ids[state].push(res.body.instance_id);
  }
  for (const id of ids.ACTIVE.slice(0, 2)) {
    expect((await h.request('POST', `/api/v1/workflows/${id}/pause`, { token: admin.token })).status).toBe(200);
    ids.paused.push(id);
  }
});
afterAll(() => h.close());

const get = (member: Member, path: string) => h.request('GET', path, { token: member.token });

/** Walks every page of a list and answers the ids in order. */
async function walk(path: string, key: string, idField: string, limit = 2): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res = await get(user, `${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    seen.push(...res.body[key].map((row: Record<string, string>) => row[idField]));
    cursor = res.body.pagination.next_cursor;
  } while (cursor);
  return seen;
}

test('instances by state, by definition and paused, and sorted by SLA (scenario 18); pages cover each row once', async () => {
  const active = await walk('/api/v1/workflows?current_state=ACTIVE', 'instances', 'instance_id');
  expect(active).toEqual([...ids.ACTIVE].reverse());
  const paused = await get(user, '/api/v1/workflows?definition_code=TEST_ADMIN_WORKFLOW&paused=true');
  expect(paused.body.instances.map((i: { instance_id: string }) => i.instance_id).sort()).toEqual([...ids.paused].sort());
  expect(paused.body.filters_applied).toMatchObject({ definition_code: 'TEST_ADMIN_WORKFLOW', paused: true });
  // The SLA order, worked out here from every instance's sla_at (ties by id), is what the pages walk, each once.
  const all = (await get(user, '/api/v1/workflows?limit=50')).body.instances as Array<{ instance_id: string; sla_at: string }>;
  const expected = [...all]
    .sort((a, b) => Date.parse(a.sla_at) - Date.parse(b.sla_at) || (a.instance_id < b.instance_id ? -1 : 1))
    .map((i) => i.instance_id);
  expect(expected.slice().sort()).toEqual([...ids.DRAFT, ...ids.ACTIVE].sort());
  const bySla = await walk('/api/v1/workflows?sort_by=sla_at&sort_order=asc', 'instances', 'instance_id', 4);
  expect(bySla).toEqual(expected);
});

test('overdue=true lists the active instances past their SLA, and only those', async () => {
  const org = (await h.organization()).id;
  const [member, orgAdmin] = await Promise.all([h.member(org, ['user']), h.member(org, ['admin', 'user'])]);
  // A quarter of a second of SLA: the instance is overdue almost at once.
  const slaMs = 250;
  const registered = await h.request('POST', '/api/v1/definitions', {
    token: orgAdmin.token,
    body: { code: 'SHORT_SLA', sla_hours: slaMs / 3_600_000, states: ['OPEN', 'DONE'], start_states: [{ state: 'DONE', by: ['user'] }], transitions: [{ from: 'OPEN', to: 'DONE', by: ['user'] }] },
  });
  expect(registered.status).toBe(201);
  const start = async (body: Record<string, unknown>) => {
    const res = await h.request('POST', '/api/v1/workflows', { token: member.token, body });
    expect(res.status).toBe(201);
    return res.body as { instance_id: string; sla_at: string; created_at: string; status: string };
  };
  const [late, finished, onTime] = await Promise.all([
    start({ definition_code: 'SHORT_SLA' }),
    start({ definition_code: 'SHORT_SLA', initial_state: 'DONE' }),
    start({ definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE' }),
  ]);
  expect(Date.parse(late.sla_at) - Date.parse(late.created_at)).toBe(slaMs);
  expect(finished.status).toBe('completed');
  // Wait (at most the quarter second above) until the short SLA has passed.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(late.sla_at) + 20 - Date.now())));
  const listed = (query: string) => get(member, `/api/v1/workflows${query}`).then((res) => res.body.instances.map((i: { instance_id: string }) => i.instance_id));
  expect(await listed('?overdue=true')).toEqual([late.instance_id]);
  expect((await listed('')).sort()).toEqual([late.instance_id, finished.instance_id, onTime.instance_id].sort());
  expect(await listed('?overdue=true&definition_code=TEST_ADMIN_WORKFLOW')).toEqual([]);
});

test('a cursor of another order, a forged cursor or a bad filter is 400', async () => {
  const first = await get(user, '/api/v1/workflows?limit=1');
  const other = await get(user, `/api/v1/workflows?sort_by=sla_at&cursor=${first.body.pagination.next_cursor}`);
  expect(other.status).toBe(400);
  expect(other.body.error.code).toBe('INVALID_PAGINATION');
  const badBool = await get(user, '/api/v1/workflows?paused=yes');
  expect(badBool.status).toBe(400);
  expect(badBool.body.error.details.fields[0].field).toBe('paused');
  const badSort = await get(user, '/api/v1/workflows?sort_by=definition_code');
  expect(badSort.body.error.details.fields[0].field).toBe('sort_by');
});

test('instance detail with steps, tasks, timers and effects (scenario 19); steps list; 404 for unknown', async () => {
  const id = ids.ACTIVE[3];
  await h.request('POST', `/api/v1/workflows/${id}/timers`, { token: admin.token, body: { name: 'later', minutes: 60, on_fire: { escalate_tasks: true } } });
  await h.request('POST', `/api/v1/workflows/${id}/tasks`, { token: manager.token, body: { title: 'Look', assignee_role: 'manager', priority: 'high' } });
  const detail = await get(user, `/api/v1/workflows/${id}`);
  expect(detail.status).toBe(200);
  expect(detail.body.instance).toMatchObject({ instance_id: id, current_state: 'ACTIVE', subject_ref: null });
  expect(detail.body.steps).toEqual([expect.objectContaining({ to_state: 'ACTIVE', note: 'START' })]);
  expect(detail.body.tasks).toEqual([expect.objectContaining({ title: 'Look', task_state: 'OPEN', priority: 'high' })]);
  expect(detail.body.timers).toEqual([expect.objectContaining({ timer_name: 'later', timer_status: 'PENDING' })]);
  expect(detail.body.effects).toEqual([]);
  const lean = await get(user, `/api/v1/workflows/${id}?include_steps=false&include_timers=false`);
  expect(Object.keys(lean.body).sort()).toEqual(['effects', 'instance', 'tasks']);
  const steps = await get(user, `/api/v1/workflows/${id}/steps`);
  expect(steps.body).toMatchObject({ steps: [expect.objectContaining({ line_number: 1 })], pagination: { has_more: false } });
  const missing = await get(user, `/api/v1/workflows/${randomUUID()}`);
  expect(missing.status).toBe(404);
  expect(missing.body.error.code).toBe('INSTANCE_NOT_FOUND');
  expect((await get(user, `/api/v1/workflows/${randomUUID()}/steps`)).body.error.code).toBe('INSTANCE_NOT_FOUND');
  const stranger = await h.member((await h.organization()).id, ['admin']);
  expect((await get(stranger, `/api/v1/workflows/${id}`)).status).toBe(404);
});

test('tasks by state and role, by priority sorted by due date (scenario 20); one task; 404 for unknown', async () => {
  const id = ids.ACTIVE[4];
  const soon = new Date(Date.now() + 3_600_000).toISOString();
  const later = new Date(Date.now() + 7_200_000).toISOString();
  const make = (body: Record<string, unknown>) => h.request('POST', `/api/v1/workflows/${id}/tasks`, { token: manager.token, body });
  const a = (await make({ title: 'A', assignee_role: 'manager', priority: 'high', due_at: later })).body.task_id;
  const b = (await make({ title: 'B', assignee_role: 'manager', priority: 'high', due_at: soon })).body.task_id;
  const c = (await make({ title: 'C', assignee_role: 'user', priority: 'low' })).body.task_id;
  const open = await get(user, `/api/v1/tasks?instance_id=${id}&task_state=OPEN&assignee_role=manager`);
  expect(open.body.tasks.map((t: { task_id: string }) => t.task_id).sort()).toEqual([a, b].sort());
  const byDue = await get(user, `/api/v1/tasks?instance_id=${id}&priority=high&sort_by=due_at&sort_order=asc`);
  expect(byDue.body.tasks.map((t: { task_id: string }) => t.task_id)).toEqual([b, a]);
  expect(await walk(`/api/v1/tasks?instance_id=${id}`, 'tasks', 'task_id', 1)).toEqual([c, b, a]);
  const one = await get(user, `/api/v1/tasks/${c}`);
  expect(one.body.task).toMatchObject({ task_id: c, title: 'C', assignee_role: 'user', task: expect.objectContaining({ escalation_history: [] }) });
  expect((await get(user, `/api/v1/tasks/${randomUUID()}`)).body.error.code).toBe('TASK_NOT_FOUND');
});

test('metrics and notifications for admins only (scenario 25 style reads)', async () => {
  const metrics = await get(admin, '/api/v1/metrics/workflows');
  expect(metrics.body).toMatchObject({ active_instances: 9, completed_instances: 0, paused_instances: 2, overdue_instances: 0 });
  expect((await get(user, '/api/v1/metrics/workflows')).status).toBe(403);
  const notifications = await get(admin, '/api/v1/notifications');
  expect(notifications.body).toEqual({ notifications: [], pagination: { limit: 50, has_more: false, next_cursor: null } });
});

test('the outbox filters by instance, template and status; the audit list by procedure and outcome; a bad filter is 400', async () => {
  const org = (await h.organization()).id;
  const [member, orgAdmin] = await Promise.all([h.member(org, ['user']), h.member(org, ['admin', 'user'])]);
  const [a, b] = [randomUUID(), randomUUID()];
  const notices = [[a, 'sla_warning'], [a, 'sla_breach'], [b, 'sla_breach']] as const;
  for (const [instanceId, template] of notices) {
    await h.system.services.db.withOrg(org, (sql) =>
      insertNotification(sql, org, { idemKey: `${instanceId}:${template}`, instanceId, template, recipient: { role: 'manager' }, payload: {} }, orgAdmin.userId));
  }
  const listed = async (query: string) => {
    const res = await get(orgAdmin, `/api/v1/notifications?${query}`);
    expect(res.status).toBe(200);
    return res.body.notifications.map((n: { instance_id: string; template: string }) => `${n.instance_id === a ? 'a' : 'b'}:${n.template}`);
  };
  expect(await listed('template=sla_breach')).toEqual(['b:sla_breach', 'a:sla_breach']);
  expect(await listed(`instance_id=${a}`)).toEqual(['a:sla_breach', 'a:sla_warning']);
  expect(await listed(`instance_id=${a}&template=sla_breach`)).toEqual(['a:sla_breach']);
  expect(await listed('status=PENDING')).toHaveLength(3);
  expect(await listed('status=SENT')).toEqual([]);
  for (const query of ['template=', 'status=', 'instance_id=nope', 'recipient=x']) {
    const res = await get(orgAdmin, `/api/v1/notifications?${query}`);
    expect({ query, status: res.status, code: res.body.error?.code }).toEqual({ query, status: 400, code: 'VALIDATION_FAILED' });
  }

  const started = await h.request('POST', '/api/v1/workflows', { token: member.token, body: { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE' } });
  const pause = () => h.request('POST', `/api/v1/workflows/${started.body.instance_id}/pause`, { token: orgAdmin.token, body: {} });
  expect((await pause()).status).toBe(200);
  expect((await pause()).status).toBe(409);
  const events = async (query: string) => (await get(orgAdmin, `/api/v1/audit?${query}`)).body.events.map((e: { outcome: string }) => e.outcome);
  expect(await events('procedure_code=HERA.UNIV.WF.INSTANCE.PAUSE.V1')).toEqual(['REFUSED', 'SUCCESS']);
  expect(await events('procedure_code=HERA.UNIV.WF.INSTANCE.PAUSE.V1&outcome=SUCCESS')).toEqual(['SUCCESS']);
  expect(await events('procedure_code=HERA.UNIV.WF.INSTANCE.RESUME.V1')).toEqual([]);
  expect((await get(orgAdmin, '/api/v1/audit?outcome=MAYBE')).status).toBe(400);
});

test('every list refuses a cursor it did not issue with 400 INVALID_PAGINATION', async () => {
  const forged = Buffer.from(JSON.stringify({ sort: 'x', value: 'y', id: randomUUID() })).toString('base64url');
  for (const [member, path] of [
    [user, '/api/v1/workflows'],
    [user, `/api/v1/workflows/${ids.ACTIVE[0]}/steps`],
    [user, '/api/v1/tasks'],
    [admin, '/api/v1/notifications'],
    [admin, '/api/v1/audit'],
  ] as const) {
    const res = await get(member, `${path}?cursor=${forged}`);
    expect({ path, status: res.status, code: res.body.error?.code }).toEqual({ path, status: 400, code: 'INVALID_PAGINATION' });
  }
});

test('a cursor whose value does not fit its sort is 400 INVALID_PAGINATION, never a 500 (fuzzed)', async () => {
  const forge = (position: object) => Buffer.from(JSON.stringify(position)).toString('base64url');
  const lists = [
    [user, '/api/v1/workflows', 'created_at:desc'],
    [user, '/api/v1/workflows?sort_by=sla_at&sort_order=asc', 'sla_at:asc'],
    [user, `/api/v1/workflows/${ids.ACTIVE[0]}/steps`, 'line_number:asc'],
    [user, '/api/v1/tasks?sort_by=due_at', 'due_at:desc'],
    [admin, '/api/v1/notifications', 'created_at:desc'],
    [admin, '/api/v1/audit', 'created_at:desc'],
  ] as const;
  // The right order, a value of the wrong type: PostgreSQL's cast failed on these (a 500) before.
  for (const [member, path, sort] of lists) {
    const value = sort.startsWith('line_number') ? 'yesterday' : '2026-02-30T00:00:00.000000Z';
    const sep = path.includes('?') ? '&' : '?';
    const res = await get(member, `${path}${sep}cursor=${forge({ sort, value, id: randomUUID() })}`);
    expect({ path, status: res.status, code: res.body.error?.code }).toEqual({ path, status: 400, code: 'INVALID_PAGINATION' });
  }
  const value = fc.oneof(fc.string(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.integer().map(String), fc.constantFrom('2026-01-01T00:00:00.000000Z', '1', '-0', '99999999999'));
  const position = fc.record({ value: fc.oneof(value, fc.jsonValue()), id: fc.oneof(fc.uuid(), fc.string()), extra: fc.option(fc.jsonValue(), { nil: undefined }) });
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...lists), position, async ([member, path, sort], { value: v, id, extra }) => {
      const sep = path.includes('?') ? '&' : '?';
      const res = await get(member, `${path}${sep}cursor=${forge({ sort, value: v, id, ...(extra === undefined ? {} : { extra }) })}`);
      expect({ path, status: res.status, code: res.status === 200 ? 'ok' : res.body.error?.code }).toEqual({
        path,
        status: res.status === 200 ? 200 : 400,
        code: res.status === 200 ? 'ok' : 'INVALID_PAGINATION',
      });
    }),
    { numRuns: 150 },
  );
}, 120_000);
