import { randomUUID } from 'node:crypto';
import { dbOptions, openDb } from '../src/db/pool';
import type { Organization } from '../src/db/queries/organizations';
import { cachedNumbers, provideWorkflowNumbers, readOrganizationNumbers } from '../src/workflowGauges';
import { eventually, until } from './support/eventually';
import { startHarness, type Harness, type Member } from './support/harness';
import { scrape, valueOf, type Exposition } from './support/prometheus';

let h: Harness;
let orgA: Organization;
let orgB: Organization;
let adminA: Member;
let adminB: Member;

beforeAll(async () => {
  h = await startHarness();
  [orgA, orgB] = [await h.organization(), await h.organization()];
  [adminA, adminB] = await Promise.all([h.member(orgA.id, ['admin', 'manager', 'user']), h.member(orgB.id, ['admin', 'manager', 'user'])]);
  await populate();
}, 90_000);
afterAll(() => h.close());

const metricsUrl = () => `${h.api.url}/metrics`;
const metricsOf = async (admin: Member) => {
  const res = await h.request('GET', '/api/v1/metrics/workflows', { token: admin.token });
  expect(res.status).toBe(200);
  return res.body;
};
const post = async (admin: Member, path: string, body: unknown = {}) => {
  const res = await h.request('POST', path, { token: admin.token, body });
  expect({ path, status: res.status, body: res.body }).toEqual({ path, status: path.endsWith('/workflows') || path.endsWith('/tasks') ? 201 : 200, body: expect.anything() });
  return res.body;
};
const start = (admin: Member, body: Record<string, unknown>) => post(admin, '/api/v1/workflows', body);

const business = ['hera_instances', 'hera_instances_paused', 'hera_sla_overdue', 'hera_sla_at_risk', 'hera_tasks_open', 'hera_tasks_overdue', 'hera_effects_failed'];
const key = (name: string, labels: Record<string, string>) =>
  `${name}{${Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(',')}}`;

/** The business gauges' samples of one organization, by `name{label=value,…}` (the organization label left out). */
function gaugesOf(exposition: Exposition, organization: string): Record<string, number> {
  const found: Record<string, number> = {};
  for (const { name, labels, value } of exposition.samples) {
    if (!business.includes(name) || labels.organization !== organization) continue;
    const { organization: _, ...rest } = labels;
    found[key(name, rest)] = value;
  }
  return found;
}

/** What the gauges must show for an answer of GET /api/v1/metrics/workflows. */
function gaugesFor(m: any): Record<string, number> {
  return {
    ...Object.fromEntries(
      m.instances.map((i: any) => [key('hera_instances', { definition: i.definition_code, state: i.current_state, status: i.status }), i.count]),
    ),
    'hera_instances_paused{}': m.paused_instances,
    'hera_sla_overdue{}': m.overdue_instances,
    'hera_sla_at_risk{}': m.at_risk_instances,
    ...Object.fromEntries(m.tasks_open.map((t: any) => [key('hera_tasks_open', { priority: t.priority, role: t.assignee_role ?? '' }), t.count])),
    'hera_tasks_overdue{}': m.tasks_overdue,
    'hera_effects_failed{}': m.effects_failed,
  };
}

/**
 * Organization A: instances in several states, one completed by a transition, two paused, three past their SLA of
 * a second (breached on time by their own timers), a task for a role (overdue, so escalated) and one for a person.
 * Organization B: one instance, counted apart.
 */
async function populate(): Promise<void> {
  expect((await h.request('POST', '/api/v1/definitions', {
    token: adminA.token,
    body: { code: 'SECOND_SLA', sla_hours: 1 / 3600, states: ['OPEN', 'DONE'], transitions: [{ from: 'OPEN', to: 'DONE', by: ['user'] }] },
  })).status).toBe(201);
  const active: string[] = [];
  for (let i = 0; i < 5; i += 1) active.push((await start(adminA, { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE' })).instance_id);
  for (let i = 0; i < 2; i += 1) await start(adminA, { definition_code: 'TEST_ADMIN_WORKFLOW' });
  await start(adminA, { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'COMPLETED' });
  for (let i = 0; i < 3; i += 1) await start(adminA, { definition_code: 'SECOND_SLA' });
  await post(adminA, `/api/v1/workflows/${active[0]}/advance`, { to_state: 'COMPLETED' });
  for (const id of [active[1], active[4]]) await post(adminA, `/api/v1/workflows/${id}/pause`);
  const dueAt = Date.now() + 1000;
  await post(adminA, `/api/v1/workflows/${active[2]}/tasks`, { title: 'Check', assignee_role: 'manager', priority: 'high', due_at: new Date(dueAt).toISOString() });
  await post(adminA, `/api/v1/workflows/${active[3]}/tasks`, { title: 'Sign', assignee_user_id: randomUUID(), priority: 'low' });
  await start(adminB, { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE' });
  // A task counts as overdue once its first overdue level is recorded, an hour past due: a sweep as of then records it.
  await until(dueAt);
  await h.system.services.temporal.workflow.execute('sweepWorkflow', {
    workflowId: `gauges-sweep-${randomUUID()}`,
    taskQueue: h.env.taskQueue,
    args: [{ trigger: 'api', organization_filter: [orgA.id], as_of: new Date(dueAt + 61 * 60_000).toISOString() }],
  });
  await eventually(async () => expect(await metricsOf(adminA)).toMatchObject({ overdue_instances: 3, tasks_overdue: 1 }), 30_000, 250);
}

test('the API’s /metrics shows, per organization, the counts GET /api/v1/metrics/workflows answers it, with no label of an instance', async () => {
  // Read around the scrape: the same answer before and after, so the scrape saw these numbers.
  const [a, b] = [await metricsOf(adminA), await metricsOf(adminB)];
  const exposition = await scrape(metricsUrl());
  expect(gaugesFor(await metricsOf(adminA))).toEqual(gaugesFor(a));
  expect(gaugesFor(await metricsOf(adminB))).toEqual(gaugesFor(b));

  expect(gaugesOf(exposition, orgA.code)).toEqual(gaugesFor(a));
  // Each number told apart from the others, so no gauge can show another's.
  expect(gaugesOf(exposition, orgA.code)).toMatchObject({
    'hera_instances{definition=TEST_ADMIN_WORKFLOW,state=ACTIVE,status=active}': 4,
    'hera_instances{definition=TEST_ADMIN_WORKFLOW,state=COMPLETED,status=completed}': 2,
    'hera_instances{definition=TEST_ADMIN_WORKFLOW,state=DRAFT,status=active}': 2,
    'hera_instances{definition=SECOND_SLA,state=OPEN,status=active}': 3,
    'hera_instances_paused{}': 2,
    'hera_sla_overdue{}': 3,
    'hera_sla_at_risk{}': 4,
    'hera_tasks_open{priority=low,role=}': 1,
    'hera_tasks_overdue{}': 1,
    'hera_effects_failed{}': 0,
  });
  expect(gaugesOf(exposition, orgB.code)).toEqual(gaugesFor(b));
  expect(gaugesOf(exposition, orgB.code)).toMatchObject({ 'hera_instances{definition=TEST_ADMIN_WORKFLOW,state=ACTIVE,status=active}': 1 });

  // Bounded labels: organization, definition, state, status, role, priority; never an instance or a task.
  const labelNames = new Set(exposition.samples.filter((s) => business.includes(s.name)).flatMap((s) => Object.keys(s.labels)));
  expect([...labelNames].sort()).toEqual(['definition', 'organization', 'priority', 'role', 'state', 'status']);
  expect(valueOf(exposition, 'hera_metrics_collect_errors_total')).toBe(0);
});

test('scrapes within HERA_METRICS_CACHE_TTL read nothing anew; the first after it shows the new numbers', async () => {
  const ttlMs = 6_000;
  const api = await h.apiWith({ HERA_METRICS_CACHE_TTL: `${ttlMs / 1000}s` });
  try {
    const activeB = (e: Exposition) => valueOf(e, 'hera_instances', { organization: orgB.code, state: 'ACTIVE', status: 'active' });
    const first = await scrape(`${api.url}/metrics`);
    const readAt = Date.now();
    const before = activeB(first)!;
    await start(adminB, { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE' });
    expect((await metricsOf(adminB)).active_instances).toBe(before + 1);
    const cached = await scrape(`${api.url}/metrics`);
    expect(Date.now() - readAt).toBeLessThan(ttlMs);
    expect(activeB(cached)).toBe(before);
    await eventually(async () => expect(activeB(await scrape(`${api.url}/metrics`))).toBe(before + 1), 30_000, 500);
  } finally {
    await api.close();
  }
}, 60_000);

test('a database that fails leaves /metrics answering with the last numbers and counts the failure', async () => {
  const db = await openDb(dbOptions(h.config, h.env.appDatabaseUrl));
  // Read on every scrape, so the scrape after the failure tries the database.
  const withdraw = provideWorkflowNumbers(cachedNumbers((nowMs) => readOrganizationNumbers(db, nowMs), 0));
  try {
    const before = await scrape(metricsUrl());
    expect(gaugesOf(before, orgA.code)).toEqual(gaugesFor(await metricsOf(adminA)));
    await db.close();
    // Two scrapes, each trying the database once.
    const res = await fetch(metricsUrl());
    expect(res.status).toBe(200);
    const after = await scrape(metricsUrl());
    expect(gaugesOf(after, orgA.code)).toEqual(gaugesOf(before, orgA.code));
    expect(gaugesOf(after, orgB.code)).toEqual(gaugesOf(before, orgB.code));
    expect(valueOf(after, 'hera_metrics_collect_errors_total')).toBe(valueOf(before, 'hera_metrics_collect_errors_total')! + 2);
  } finally {
    withdraw();
  }
});
