import { eventually } from './support/eventually';
import { startHarness, type Harness, type Member } from './support/harness';

// The definition's rules hold on every path: no one starts past an approval, and a timer reaches no state its
// setter (or the operator who fires it early) could not reach by hand.

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const post = (who: Member, path: string, body: unknown = {}) => h.request('POST', path, { token: who.token, body });
const get = (who: Member, path: string) => h.request('GET', path, { token: who.token });

async function people(roles: Record<string, string[]>): Promise<Record<string, Member>> {
  const org = await h.organization();
  const entries = await Promise.all(Object.entries(roles).map(async ([name, r]) => [name, await h.member(org.id, r)] as const));
  return Object.fromEntries(entries);
}

const timersOf = async (who: Member, id: string) => (await get(who, `/api/v1/workflows/${id}?include_timers=true`)).body.timers as Array<Record<string, any>>;
const createdBy = (org: string, entityId: string) =>
  h.system.services.db.withOrg(org, async (sql) => (await sql.query('select created_by from core_entities where id = $1', [entityId])).rows[0]?.created_by);

const leave = { definition_code: 'LEAVE_APPROVAL', context: { days: 2, available_days: 10 } };

describe('start states', () => {
  test('a user cannot start a leave request already approved; an unknown state is 400; the system may start anywhere', async () => {
    const { employee, system } = await people({ employee: ['user', 'employee'], system: ['system'] });
    const approved = await post(employee, '/api/v1/workflows', { ...leave, initial_state: 'APPROVED' });
    expect(approved.status).toBe(403);
    expect(approved.body.error).toMatchObject({ code: 'UNAUTHORIZED_ROLE', details: { initial_state: 'APPROVED', start_states: ['DRAFT'] } });
    const limbo = await post(employee, '/api/v1/workflows', { ...leave, initial_state: 'LIMBO' });
    expect(limbo.status).toBe(400);
    expect(limbo.body.error.code).toBe('INVALID_STATE');
    expect((await get(employee, '/api/v1/workflows')).body.instances).toEqual([]);

    const draft = await post(employee, '/api/v1/workflows', leave);
    expect(draft.status).toBe(201);
    expect(draft.body.current_state).toBe('DRAFT');
    const review = await post(system, '/api/v1/workflows', { ...leave, initial_state: 'MANAGER_REVIEW' });
    expect(review.status).toBe(201);
    expect(review.body.current_state).toBe('MANAGER_REVIEW');
  });

  test('a definition names other start states and who may start there; the initial state stays open to all', async () => {
    const { admin, clerk, user } = await people({ admin: ['admin'], clerk: ['user', 'clerk'], user: ['user'] });
    const definition = {
      code: 'INTAKE',
      states: ['NEW', 'TRIAGED', 'DONE'],
      start_states: [{ state: 'TRIAGED', by: ['clerk'] }],
      transitions: [
        { from: 'NEW', to: 'TRIAGED', by: ['clerk'] },
        { from: 'TRIAGED', to: 'DONE', by: ['clerk'] },
      ],
    };
    expect((await post(admin, '/api/v1/definitions', definition)).status).toBe(201);
    expect((await post(clerk, '/api/v1/workflows', { definition_code: 'INTAKE', initial_state: 'TRIAGED' })).status).toBe(201);
    const refused = await post(user, '/api/v1/workflows', { definition_code: 'INTAKE', initial_state: 'TRIAGED' });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'UNAUTHORIZED_ROLE', details: { allowed_roles: ['clerk'] } });
    // Admin is no pass: only the roles named.
    expect((await post(admin, '/api/v1/workflows', { definition_code: 'INTAKE', initial_state: 'TRIAGED' })).status).toBe(403);
    expect((await post(admin, '/api/v1/workflows', { definition_code: 'INTAKE', initial_state: 'DONE' })).status).toBe(403);
    expect((await post(user, '/api/v1/workflows', { definition_code: 'INTAKE' })).status).toBe(201);

    const bad = await post(admin, '/api/v1/definitions', { ...definition, code: 'INTAKE_BAD', start_states: [{ state: 'GONE', by: ['clerk'] }, { state: 'NEW', by: ['clerk'] }] });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.error)).toContain('start_states');
  });
});

describe('timers act with their setter’s roles', () => {
  /** A leave request waiting for a manager, started by the system. */
  async function inReview(system: Member): Promise<string> {
    const started = await post(system, '/api/v1/workflows', { ...leave, initial_state: 'MANAGER_REVIEW' });
    expect(started.status).toBe(201);
    return started.body.instance_id;
  }

  test('an admin without manager cannot reach APPROVED through a timer; the timer is never set', async () => {
    const { admin, system } = await people({ admin: ['user', 'admin'], system: ['system'] });
    const id = await inReview(system);
    const set = await post(admin, `/api/v1/workflows/${id}/timers`, { name: 'sneak', duration: 'PT1S', on_fire: { advance_to: 'APPROVED' } });
    expect(set.status).toBe(403);
    expect(set.body.error).toMatchObject({ code: 'UNAUTHORIZED_ROLE', details: { allowed_roles: ['manager'] } });
    const nowhere = await post(admin, `/api/v1/workflows/${id}/timers`, { name: 'nowhere', minutes: 5, on_fire: { advance_to: 'DRAFT' } });
    expect(nowhere.status).toBe(400);
    expect(nowhere.body.error.code).toBe('INVALID_TRANSITION');
    expect((await timersOf(admin, id)).filter((t) => t.source === 'api')).toEqual([]);
    expect((await get(admin, `/api/v1/workflows/${id}`)).body.instance.current_state).toBe('MANAGER_REVIEW');
  });

  test('a manager’s timer fires as that manager: its task, escalation and transition are recorded as theirs', async () => {
    const { boss, system } = await people({ boss: ['user', 'admin', 'manager'], system: ['system'] });
    const id = await inReview(system);
    const set = await post(boss, `/api/v1/workflows/${id}/timers`, {
      name: 'auto-approve',
      duration: 'PT1S',
      on_fire: { create_task: { title: 'File the approval', assignee_role: 'clerk' }, escalate_tasks: true, advance_to: 'APPROVED' },
    });
    expect(set.status).toBe(200);
    await eventually(async () => {
      const timer = (await timersOf(boss, id)).find((t) => t.timer_id === set.body.timer_id);
      expect(timer?.timer_status).toBe('FIRED');
    });
    const { instance, tasks } = (await get(boss, `/api/v1/workflows/${id}?include_tasks=true`)).body;
    expect(instance.current_state).toBe('APPROVED');
    const steps = (await get(boss, `/api/v1/workflows/${id}/steps`)).body.steps;
    expect(steps.at(-1)).toMatchObject({ from_state: 'MANAGER_REVIEW', to_state: 'APPROVED', actor_role: 'manager', actor_user_id: boss.userId });
    const filed = tasks.find((t: { title: string }) => t.title === 'File the approval');
    expect(await createdBy(boss.organizationId, filed.task_id)).toBe(boss.userId);
    const review = tasks.find((t: { title: string }) => t.title === 'Review leave request');
    const escalated = (await get(boss, `/api/v1/tasks/${review.task_id}`)).body;
    expect(escalated.task.task.escalation_history).toEqual([expect.objectContaining({ by: boss.userId, reason: 'timer auto-approve' })]);
  });

  test('an API timer acts as its setter whoever fires it, and leaves with the state it was set in', async () => {
    const { admin, lead, user } = await people({ admin: ['user', 'admin'], lead: ['user', 'admin', 'lead'], user: ['user'] });
    const definition = {
      code: 'HANDOFF',
      states: ['A', 'B', 'C'],
      transitions: [
        { from: 'A', to: 'C', by: ['lead'] },
        { from: 'A', to: 'B', by: ['user'] },
        { from: 'B', to: 'C', by: ['system'] },
      ],
    };
    expect((await post(admin, '/api/v1/definitions', definition)).status).toBe(201);
    const start = async () => (await post(user, '/api/v1/workflows', { definition_code: 'HANDOFF' })).body.instance_id as string;

    // The admin may not close A themselves, nor through a timer; fired early by them, the lead's timer acts as the lead.
    const closing = await start();
    expect((await post(admin, `/api/v1/workflows/${closing}/timers`, { minutes: 60, on_fire: { advance_to: 'C' } })).body.error.code).toBe('UNAUTHORIZED_ROLE');
    const leads = await post(lead, `/api/v1/workflows/${closing}/timers`, { name: 'lead-close', minutes: 60, on_fire: { advance_to: 'C' } });
    expect(leads.status).toBe(200);
    const fire = await post(admin, `/api/v1/workflows/${closing}/timers/${leads.body.timer_id}/fire`);
    expect(fire.body).toMatchObject({ status: 'FIRED', execution_result: { advanced_to: 'C' } });
    const steps = (await get(user, `/api/v1/workflows/${closing}/steps`)).body.steps;
    expect(steps.at(-1)).toMatchObject({ from_state: 'A', to_state: 'C', actor_role: 'lead', actor_user_id: lead.userId });

    // Leaving A cancels the lead's timer: it never acts in a state its setter was not checked against.
    const moved = await start();
    const later = await post(lead, `/api/v1/workflows/${moved}/timers`, { name: 'lead-close', minutes: 60, on_fire: { advance_to: 'C' } });
    expect((await post(user, `/api/v1/workflows/${moved}/advance`, { to_state: 'B' })).status).toBe(200);
    expect((await timersOf(user, moved)).find((t) => t.timer_id === later.body.timer_id)?.timer_status).toBe('CANCELLED');
  });

  test('a definition’s timer fired early by an operator acts with the operator’s roles and stays pending when refused', async () => {
    const { admin, system } = await people({ admin: ['user', 'admin'], system: ['system'] });
    const definition = {
      code: 'AUTO_CLOSE',
      states: ['OPEN', 'CLOSED'],
      transitions: [{ from: 'OPEN', to: 'CLOSED', by: ['system'] }],
      timers: [{ on_enter: 'OPEN', name: 'close', minutes: 600, on_fire: { advance_to: 'CLOSED' } }],
    };
    expect((await post(admin, '/api/v1/definitions', definition)).status).toBe(201);
    const id = (await post(admin, '/api/v1/workflows', { definition_code: 'AUTO_CLOSE' })).body.instance_id;
    const [timer] = await timersOf(admin, id);
    const early = await post(admin, `/api/v1/workflows/${id}/timers/${timer.timer_id}/fire`);
    expect(early.status).toBe(403);
    expect(early.body.error.code).toBe('UNAUTHORIZED_ROLE');
    expect((await timersOf(admin, id))[0].timer_status).toBe('PENDING');
    const bySystem = await post(system, `/api/v1/workflows/${id}/timers/${timer.timer_id}/fire`);
    expect(bySystem.body).toMatchObject({ status: 'FIRED', execution_result: { advanced_to: 'CLOSED' } });
  });
});
