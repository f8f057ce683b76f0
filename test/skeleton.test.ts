import { startHarness, type Harness, type Member, type Response } from './support/harness';
import { instanceWorkflowId } from '../src/temporal/ids';

let h: Harness;
let caller: Member;

beforeAll(async () => {
  h = await startHarness();
  const org = await h.organization();
  caller = await h.member(org.id, ['employee', 'user']);
});
afterAll(() => h.close());

describe('an instance end to end: HTTP → runProcedure → Temporal workflow → activity → six tables → view', () => {
  // Every test here reads the one instance this block starts, in an organization of its own (so the list holds
  // exactly it), whichever of them runs and in whatever order.
  let alice: Member;
  let started: Response;
  let instanceId: string;

  beforeAll(async () => {
    alice = await h.member((await h.organization()).id, ['employee', 'user']);
    started = await h.request('POST', '/api/v1/workflows', {
      token: alice.token,
      body: {
        definition_code: 'LEAVE_APPROVAL',
        subject_ref: { entity_id: 'emp_1', entity_type: 'leave_request' },
        context: { days: 5, available_days: 15 },
      },
    });
    instanceId = started.body?.instance_id;
  });

  test('POST /api/v1/workflows starts an instance and answers 201 once its header is persisted', async () => {
    const res = started;
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      definition_code: 'LEAVE_APPROVAL',
      definition_version: 1,
      current_state: 'DRAFT',
      status: 'active',
    });
    expect(instanceId).toMatch(/^[0-9a-f-]{36}$/);
    // LEAVE_APPROVAL has a 72 h SLA from its start.
    expect(Date.parse(res.body.sla_at) - Date.parse(res.body.created_at)).toBe(72 * 3_600_000);
  });

  test('the header and the first step line are in the six tables, under the instance smart codes', async () => {
    const rows = await h.system.services.db.withOrg(alice.organizationId, async (sql) => {
      const header = await sql.query(
        `select transaction_type, smart_code, transaction_status, created_by, metadata
           from universal_transactions where id = $1`,
        [instanceId],
      );
      const steps = await sql.query(
        'select line_number, line_type, smart_code, line_data from universal_transaction_lines where transaction_id = $1',
        [instanceId],
      );
      return { header: header.rows, steps: steps.rows };
    });
    expect(rows.header).toEqual([
      expect.objectContaining({
        transaction_type: 'WF_INSTANCE',
        smart_code: 'HERA.UNIV.WF.INSTANCE.HEADER.v1',
        transaction_status: 'active',
        created_by: alice.userId,
        metadata: expect.objectContaining({
          definition_code: 'LEAVE_APPROVAL',
          current_state: 'DRAFT',
          owner_user_id: alice.userId,
          subject_ref: { entity_id: 'emp_1', entity_type: 'leave_request' },
          context: { days: 5, available_days: 15 },
        }),
      }),
    ]);
    expect(rows.steps).toEqual([
      expect.objectContaining({
        line_number: 1,
        line_type: 'WF_STEP',
        smart_code: 'HERA.UNIV.WF.STEP.LINE.v1',
        line_data: expect.objectContaining({ from: null, to: 'DRAFT', note: 'START', actor_user_id: alice.userId }),
      }),
    ]);
  });

  test('GET /api/v1/workflows lists it from wf_instances_view', async () => {
    const res = await h.request('GET', '/api/v1/workflows', { token: alice.token });
    expect(res.status).toBe(200);
    expect(res.body.pagination).toEqual({ limit: 50, has_more: false, next_cursor: null });
    expect(res.body.instances).toEqual([
      expect.objectContaining({
        instance_id: instanceId,
        definition_code: 'LEAVE_APPROVAL',
        current_state: 'DRAFT',
        paused: false,
        status: 'active',
        owner_user_id: alice.userId,
        subject_ref: { entity_id: 'emp_1', entity_type: 'leave_request' },
      }),
    ]);
  });

  test('the Temporal workflow runs with the instance id, memo and search attributes an operator filters on', async () => {
    const handle = h.system.services.temporal.workflow.getHandle(instanceWorkflowId(alice.organizationId, instanceId));
    const description = await handle.describe();
    expect(description.status.name).toBe('RUNNING');
    expect(description.taskQueue).toBe(h.env.taskQueue);
    expect(description.memo).toMatchObject({ definition_code: 'LEAVE_APPROVAL', definition_version: 1 });
    expect(description.searchAttributes).toMatchObject({
      HeraOrganizationId: [alice.organizationId],
      HeraDefinitionCode: ['LEAVE_APPROVAL'],
      HeraState: ['DRAFT'],
      HeraPaused: [false],
      HeraOwner: [alice.userId],
    });
    const snapshot = await handle.query<{ sla_at: string }>('snapshot');
    expect(snapshot).toMatchObject({ instance_id: instanceId, current_state: 'DRAFT' });
    expect(description.searchAttributes.HeraSlaAt).toEqual([new Date(snapshot.sla_at)]);
    // START set them all, its SLA's due time included: so far the workflow has upserted none and recorded no patch
    // marker (its one marker is the local activity that wrote the record).
    const { events } = await handle.fetchHistory();
    expect(Object.keys(events![0]!.workflowExecutionStartedEventAttributes!.searchAttributes!.indexedFields!).sort()).toEqual(
      ['HeraDefinitionCode', 'HeraDefinitionVersion', 'HeraOrganizationId', 'HeraOwner', 'HeraPaused', 'HeraSlaAt', 'HeraState'],
    );
    expect(events!.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes)).toEqual([]);
    expect(events!.filter((e) => e.markerRecordedEventAttributes).map((e) => e.markerRecordedEventAttributes!.markerName)).toEqual(['core_local_activity']);
  });
});

describe('START through the original route and its refusals', () => {
  test('POST /api/v1/workflows/:code/start starts the named definition; X-Correlation-ID reaches memo and records', async () => {
    const res = await h.request('POST', '/api/v1/workflows/TEST_ADMIN_WORKFLOW/start', {
      token: caller.token,
      body: { initial_state: 'ACTIVE' },
      headers: { 'X-Correlation-ID': 'WF-20261125120000-0a1b2c3d-001' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ definition_code: 'TEST_ADMIN_WORKFLOW', current_state: 'ACTIVE' });
    expect(res.headers.get('x-correlation-id')).toBe('WF-20261125120000-0a1b2c3d-001');
    const id = res.body.instance_id;
    const [row] = await h.system.services.db.withOrg(caller.organizationId, async (sql) =>
      (await sql.query('select i.correlation_id, s.correlation_id as step_correlation_id from wf_instances_view i join wf_steps_view s using (instance_id) where instance_id = $1', [id])).rows,
    );
    expect(row).toEqual({ correlation_id: 'WF-20261125120000-0a1b2c3d-001', step_correlation_id: 'WF-20261125120000-0a1b2c3d-001' });
    const description = await h.system.services.temporal.workflow.getHandle(instanceWorkflowId(caller.organizationId, id)).describe();
    expect(description.memo).toMatchObject({ correlation_id: 'WF-20261125120000-0a1b2c3d-001' });
  });

  test('an unknown definition is 404 DEFINITION_NOT_FOUND', async () => {
    const res = await h.request('POST', '/api/v1/workflows', { token: caller.token, body: { definition_code: 'NOPE' } });
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'DEFINITION_NOT_FOUND', details: { definition_code: 'NOPE' } });
  });

  test('a state the definition lacks is 400 INVALID_STATE', async () => {
    const res = await h.request('POST', '/api/v1/workflows', {
      token: caller.token,
      body: { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'LIMBO' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_STATE');
  });

  test('malformed input is 400 VALIDATION_FAILED naming each bad field', async () => {
    const res = await h.request('POST', '/api/v1/workflows', {
      token: caller.token,
      body: { definition_code: 7, subject_ref: { entity_id: 'x' }, surprise: true },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    const fields = res.body.error.details.fields.map((f: { field: string }) => f.field).sort();
    expect(fields).toEqual(['definition_code', 'subject_ref.entity_type', 'surprise']);
  });

  test('a body that is not JSON is 400 INVALID_JSON; an unknown route is 404 JSON', async () => {
    const bad = await h.request('POST', '/api/v1/workflows', {
      token: caller.token,
      rawBody: '{"definition_code":',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_JSON');
    const missing = await h.request('GET', '/api/v1/nowhere', { token: caller.token });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('ROUTE_NOT_FOUND');
  });
});

describe('listing pages', () => {
  test('keyset pages cover every instance exactly once, newest first; a forged cursor is 400', async () => {
    const org = await h.organization();
    const bob = await h.member(org.id);
    const started: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const res = await h.request('POST', '/api/v1/workflows', { token: bob.token, body: { definition_code: 'APPT_FOLLOWUP' } });
      expect(res.status).toBe(201);
      started.push(res.body.instance_id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
      const res = await h.request('GET', `/api/v1/workflows${query}`, { token: bob.token });
      expect(res.status).toBe(200);
      expect(res.body.instances.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.instances.map((i: { instance_id: string }) => i.instance_id));
      cursor = res.body.pagination.next_cursor;
      expect(res.body.pagination.has_more).toBe(cursor !== null);
    } while (cursor);
    expect(seen).toEqual([...started].reverse());

    const forged = await h.request('GET', '/api/v1/workflows?cursor=bm90LWEtY3Vyc29y', { token: bob.token });
    expect(forged.status).toBe(400);
    expect(forged.body.error.code).toBe('INVALID_PAGINATION');
    const tooMany = await h.request('GET', '/api/v1/workflows?limit=501', { token: bob.token });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.details.fields[0].field).toBe('limit');
  });
});
