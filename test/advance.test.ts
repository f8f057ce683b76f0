import { instanceWorkflowId } from '../src/temporal/ids';
import { eventually } from './support/eventually';
import { startHarness, type Harness, type Member } from './support/harness';

let h: Harness;
let employee: Member;
let manager: Member;
let system: Member;
let admin: Member;

beforeAll(async () => {
  h = await startHarness();
  const org = (await h.organization()).id;
  employee = await h.member(org, ['employee', 'user']);
  manager = await h.member(org, ['manager', 'user']);
  system = await h.member(org, ['system']);
  admin = await h.member(org, ['admin', 'user']);
});
afterAll(() => h.close());

async function start(member: Member, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await h.request('POST', '/api/v1/workflows', { token: member.token, body, headers });
  expect(res.status).toBe(201);
  return res.body.instance_id as string;
}

function advance(member: Member, instanceId: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return h.request('POST', `/api/v1/workflows/${instanceId}/advance`, { token: member.token, body, headers });
}

async function query<T = Record<string, unknown>>(org: string, text: string, values: unknown[]): Promise<T[]> {
  return h.system.services.db.withOrg(org, async (sql) => (await sql.query(text, values)).rows as T[]);
}

describe('LEAVE_APPROVAL (background §7 scenarios 1–3, 29–30)', () => {
  test('happy path: employee submits, system checks accrual, manager approves; effects run; the instance completes', async () => {
    const id = await start(employee, {
      definition_code: 'LEAVE_APPROVAL',
      subject_ref: { entity_id: 'emp_1', entity_type: 'leave_request' },
      context: { leave_type: 'annual', days: 5, available_days: 15 },
    });

    const submitted = await advance(employee, id, { to_state: 'SUBMITTED', actor_role: 'employee', payload: { reason: 'Annual vacation' } });
    expect(submitted.status).toBe(200);
    expect(submitted.body).toMatchObject({ instance_id: id, from_state: 'DRAFT', to_state: 'SUBMITTED', current_state: 'SUBMITTED' });
    expect(submitted.body).toEqual(
      expect.objectContaining({ guards_executed: [], effects_queued: [], timers_set: [], timers_cancelled: [], step_id: expect.any(String) }),
    );

    const review = await advance(system, id, { to_state: 'MANAGER_REVIEW' });
    expect(review.status).toBe(200);
    expect(review.body).toMatchObject({ from_state: 'SUBMITTED', to_state: 'MANAGER_REVIEW', guards_executed: ['HERA.UNIV.WF.GUARD.CONTEXT.v1'] });

    const approved = await advance(manager, id, { to_state: 'APPROVED' });
    expect(approved.status).toBe(200);
    expect(approved.body.effects_queued).toEqual(['HERA.UNIV.WF.EFFECT.LOG.v1', 'HERA.UNIV.WF.EFFECT.NOTIFY.v1']);

    const org = employee.organizationId;
    const steps = await query(org, 'select * from wf_steps_view where instance_id = $1 order by line_number', [id]);
    expect(steps.map((s) => [s.from_state, s.to_state, s.actor_role])).toEqual([
      [null, 'DRAFT', 'employee'],
      ['DRAFT', 'SUBMITTED', 'employee'],
      ['SUBMITTED', 'MANAGER_REVIEW', 'system'],
      ['MANAGER_REVIEW', 'APPROVED', 'manager'],
    ]);
    expect(steps[1]).toMatchObject({ actor_user_id: employee.userId, payload: { reason: 'Annual vacation' }, effects_failed: [] });
    expect(steps[2].guards_executed).toEqual(['HERA.UNIV.WF.GUARD.CONTEXT.v1']);
    expect(steps[3]).toMatchObject({ step_id: approved.body.step_id, effects_queued: approved.body.effects_queued });
    expect(Number(steps[3].duration_ms)).toBeGreaterThanOrEqual(0);

    await eventually(async () => {
      const effects = await query(org, 'select effect_smart_code, effect_status, attempt_count from wf_effects_view where instance_id = $1 order by effect_smart_code', [id]);
      expect(effects).toEqual([
        { effect_smart_code: 'HERA.UNIV.WF.EFFECT.LOG.v1', effect_status: 'COMPLETED', attempt_count: 1 },
        { effect_smart_code: 'HERA.UNIV.WF.EFFECT.NOTIFY.v1', effect_status: 'COMPLETED', attempt_count: 1 },
      ]);
    });
    const outbox = await query(org, `select metadata->>'template' as template from universal_transactions where transaction_type = 'WF_NOTIFICATION' and metadata->>'instance_id' = $1`, [id]);
    expect(outbox).toEqual([{ template: 'leave_approved' }]);

    const [instance] = await query(org, 'select current_state, status from wf_instances_view where instance_id = $1', [id]);
    expect(instance).toEqual({ current_state: 'APPROVED', status: 'completed' });
    const handle = h.system.services.temporal.workflow.getHandle(instanceWorkflowId(org, id));
    await eventually(async () => expect((await handle.describe()).status.name).toBe('COMPLETED'));
    expect((await handle.describe()).searchAttributes).toMatchObject({ HeraState: ['APPROVED'] });

    const after = await advance(manager, id, { to_state: 'REJECTED' });
    expect(after.status).toBe(409);
    expect(after.body.error.code).toBe('INSTANCE_FINALIZED');
  });

  test('a failing guard refuses with 400 GUARD_FAILED and writes nothing', async () => {
    const id = await start(employee, { definition_code: 'LEAVE_APPROVAL', context: { days: 20, available_days: 2 } });
    expect((await advance(employee, id, { to_state: 'SUBMITTED' })).status).toBe(200);
    const res = await advance(system, id, { to_state: 'MANAGER_REVIEW' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'GUARD_FAILED',
      details: { guards: [{ code: 'HERA.UNIV.WF.GUARD.CONTEXT.v1', passed: false }] },
    });
    const steps = await query(employee.organizationId, 'select to_state from wf_steps_view where instance_id = $1 order by line_number', [id]);
    expect(steps.map((s) => s.to_state)).toEqual(['DRAFT', 'SUBMITTED']);
  });

  test('a role outside the transition’s `by` is 403 UNAUTHORIZED_ROLE (admin included); no transition is 400', async () => {
    const id = await start(employee, { definition_code: 'LEAVE_APPROVAL', context: { days: 1, available_days: 9 } });
    expect((await advance(employee, id, { to_state: 'SUBMITTED' })).status).toBe(200);
    expect((await advance(system, id, { to_state: 'MANAGER_REVIEW' })).status).toBe(200);
    for (const who of [employee, admin]) {
      const res = await advance(who, id, { to_state: 'APPROVED' });
      expect(res.status).toBe(403);
      expect(res.body.error).toMatchObject({ code: 'UNAUTHORIZED_ROLE', details: { allowed_roles: ['manager'] } });
    }
    const claimed = await advance(employee, id, { to_state: 'APPROVED', actor_role: 'manager' });
    expect(claimed.status).toBe(403);
    expect(claimed.body.error.code).toBe('UNAUTHORIZED_ROLE');

    const invalid = await advance(manager, id, { to_state: 'DRAFT' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toMatchObject({ code: 'INVALID_TRANSITION', details: { allowed: ['APPROVED', 'REJECTED'] } });
  });

  test('unknown or another organization’s instance is 404 INSTANCE_NOT_FOUND; bad input is 400', async () => {
    const id = await start(employee, { definition_code: 'LEAVE_APPROVAL' });
    const stranger = await h.member((await h.organization()).id, ['employee']);
    const res = await advance(stranger, id, { to_state: 'SUBMITTED' });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('INSTANCE_NOT_FOUND');
    const bad = await h.request('POST', '/api/v1/workflows/not-a-uuid/advance', { token: employee.token, body: {} });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.fields.map((f: { field: string }) => f.field).sort()).toEqual(['instance_id', 'to_state']);
  });
});

describe('idempotency of ADVANCE (scenarios 6 and 8)', () => {
  test('the same advance twice with one key: one step, the same answer, marked as a replay', async () => {
    const id = await start(employee, { definition_code: 'LEAVE_APPROVAL' });
    const headers = { 'Idempotency-Key': `idem-${id}` };
    const first = await advance(employee, id, { to_state: 'SUBMITTED' }, headers);
    const second = await advance(employee, id, { to_state: 'SUBMITTED' }, headers);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const reused = await advance(employee, id, { to_state: 'CANCELLED' }, headers);
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const steps = await query(employee.organizationId, 'select to_state from wf_steps_view where instance_id = $1', [id]);
    expect(steps).toHaveLength(2);
  });

  test('concurrent advances with one key produce one step; a new key is a new attempt around a cycle', async () => {
    const user = await h.member(employee.organizationId, ['user']);
    const id = await start(user, { definition_code: 'TEST_ADMIN_WORKFLOW' });
    const headers = { 'Idempotency-Key': `race-${id}` };
    const answers = await Promise.all(Array.from({ length: 5 }, () => advance(user, id, { to_state: 'ACTIVE' }, headers)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(answers.map((a) => a.body.step_id)).size).toBe(1);

    expect((await advance(admin, id, { to_state: 'ON_HOLD' }, { 'Idempotency-Key': `a1-${id}` })).status).toBe(200);
    expect((await advance(admin, id, { to_state: 'ACTIVE' }, { 'Idempotency-Key': `a2-${id}` })).status).toBe(200);
    expect((await advance(admin, id, { to_state: 'ON_HOLD' }, { 'Idempotency-Key': `a3-${id}` })).status).toBe(200);
    const steps = await query(user.organizationId, 'select to_state from wf_steps_view where instance_id = $1 order by line_number', [id]);
    expect(steps.map((s) => s.to_state)).toEqual(['DRAFT', 'ACTIVE', 'ON_HOLD', 'ACTIVE', 'ON_HOLD']);
  });
});

describe('the module definitions (scenarios 31–32)', () => {
  test('AP_BILL_APPROVAL: both guards pass, then review and approval by ap_manager', async () => {
    const clerk = await h.member(employee.organizationId, ['ap_clerk', 'user']);
    const apManager = await h.member(employee.organizationId, ['ap_manager']);
    const id = await start(clerk, { definition_code: 'AP_BILL_APPROVAL', context: { po_number: 'PO-2024-001', vendor_id: 'v-1', amount: 1485 } });
    const matched = await advance(system, id, { to_state: 'MATCH_2W' });
    expect(matched.body.guards_executed).toHaveLength(2);
    expect((await advance(system, id, { to_state: 'REVIEW' })).body.to_state).toBe('REVIEW');
    expect((await advance(apManager, id, { to_state: 'APPROVED' })).body.to_state).toBe('APPROVED');
  });

  test('MEMBERSHIP_RENEWAL: notified with one effect, grace, renewed by payment with one effect', async () => {
    const payment = await h.member(employee.organizationId, ['payment']);
    const id = await start(system, { definition_code: 'MEMBERSHIP_RENEWAL', context: { tier: 'gold', amount: 200 } });
    expect((await advance(system, id, { to_state: 'NOTIFIED' })).body.effects_queued).toHaveLength(1);
    expect((await advance(system, id, { to_state: 'GRACE' })).status).toBe(200);
    const renewed = await advance(payment, id, { to_state: 'RENEWED' });
    expect(renewed.body).toMatchObject({ current_state: 'RENEWED', effects_queued: ['HERA.UNIV.WF.EFFECT.LOG.v1'] });
  });
});
