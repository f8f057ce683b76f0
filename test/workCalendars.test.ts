import { startHarness, type Harness, type Member } from './support/harness';
import { everyHour, firstWorking, holidayCalendar } from './support/holidayCalendar';

// Tasks' due times and timers' delays counted in a business calendar's working time (`calendar: CODE` on a
// definition's task or timer), on the real system, on a calendar built around today (test/support/holidayCalendar.ts):
// today and tomorrow are holidays, so working time starts at `firstWorking`.

let h: Harness;
let admin: Member;
const hourMs = 3_600_000;
const at = (ms: number) => new Date(ms).toISOString();

const define = async (body: Record<string, unknown>) => h.request('POST', '/api/v1/definitions', { token: admin.token, body });

beforeAll(async () => {
  h = await startHarness();
  admin = await h.member((await h.organization()).id, ['admin', 'user']);
  for (const [code, body] of [
    ['OPS_HOURS', holidayCalendar],
    ['ALWAYS', { name: 'Always', time_zone: 'UTC', working_hours: everyHour }],
    ['TEAM_HOURS', holidayCalendar],
  ] as const) {
    expect((await h.request('PUT', `/api/v1/calendars/${code}`, { token: admin.token, body })).status).toBe(201);
  }
  const defined = await define({
    code: 'CAL_TASKS',
    states: ['OPEN', 'DONE'],
    transitions: [{ from: 'OPEN', to: 'DONE', by: ['user'] }],
    tasks: [
      { on_enter: 'OPEN', title: 'Review', due_in: 'PT8H', calendar: 'OPS_HOURS' },
      { on_enter: 'OPEN', title: 'Answer', due_in: 'PT8H', calendar: 'ALWAYS' },
      { on_enter: 'OPEN', title: 'Wall clock', due_in: 'PT8H' },
    ],
    timers: [{ on_enter: 'OPEN', name: 'chase', duration: 'PT1H', calendar: 'TEAM_HOURS', on_fire: { create_task: { title: 'Chase', due_in: 'PT2H', calendar: 'TEAM_HOURS' } } }],
  });
  expect(defined.status).toBe(201);
});
afterAll(() => h.close());

const start = async (code = 'CAL_TASKS') => h.request('POST', '/api/v1/workflows', { token: admin.token, body: { definition_code: code } });
const instance = async (id: string) => (await h.request('GET', `/api/v1/workflows/${id}`, { token: admin.token })).body;
type TaskRow = Record<string, unknown> & { title: string; due_at: string };
const taskNamed = (tasks: TaskRow[], title: string) => tasks.find((t) => t.title === title)!;

test("a task's due_in and a timer's delay count in their calendar's working time; the tasks show it and the working hours left", async () => {
  const started = await start();
  expect(started.status).toBe(201);
  const got = await instance(started.body.instance_id);
  const created = Date.parse(got.instance.created_at);
  expect(taskNamed(got.tasks, 'Review')).toMatchObject({ due_at: at(firstWorking + 8 * hourMs), calendar: 'OPS_HOURS', calendar_version: 1, working_hours_remaining: 8 });
  const always = taskNamed(got.tasks, 'Answer');
  expect(always).toMatchObject({ due_at: at(created + 8 * hourMs), calendar: 'ALWAYS' });
  expect(always.working_hours_remaining).toBeGreaterThan(7.9);
  expect(taskNamed(got.tasks, 'Wall clock')).toMatchObject({ due_at: at(created + 8 * hourMs), calendar: null, working_hours_remaining: null });
  expect(got.timers).toEqual([expect.objectContaining({ timer_name: 'chase', fire_at: at(firstWorking + hourMs) })]);

  // Fired early by an operator: its create_task counts its due_in in the calendar too.
  const fired = await h.request('POST', `/api/v1/workflows/${started.body.instance_id}/timers/${got.timers[0].timer_id}/fire`, { token: admin.token, body: {} });
  expect(fired.status).toBe(200);
  const task = await h.request('GET', `/api/v1/tasks/${fired.body.execution_result.task_created}`, { token: admin.token });
  expect(task.body.task).toMatchObject({ title: 'Chase', due_at: at(firstWorking + 2 * hourMs), calendar: 'TEAM_HOURS', calendar_version: 1, working_hours_remaining: 2 });
  const listed = await h.request('GET', `/api/v1/tasks?instance_id=${started.body.instance_id}&sort_by=due_at&sort_order=asc`, { token: admin.token });
  // 'Answer' and 'Wall clock' share a due time: compared by title.
  expect(Object.fromEntries(listed.body.tasks.map((t: Record<string, unknown>) => [t.title, t.working_hours_remaining]))).toEqual({
    Answer: expect.any(Number),
    'Wall clock': null,
    Chase: 2,
    Review: 8,
  });
  expect(listed.body.tasks.at(-1).title).toBe('Review');
});

test('a pause moves calendar due times and timers by the working time it took: none on a holiday, all of it on an always-working calendar', async () => {
  const id = (await start()).body.instance_id;
  const before = await instance(id);
  expect((await h.request('POST', `/api/v1/workflows/${id}/pause`, { token: admin.token, body: { reason: 'waiting' } })).status).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  // While paused the working time left stands still (counted from the pause's start).
  const paused = await instance(id);
  expect(taskNamed(paused.tasks, 'Review').working_hours_remaining).toBe(8);
  const resumed = await h.request('POST', `/api/v1/workflows/${id}/resume`, { token: admin.token, body: {} });
  expect(resumed.status).toBe(200);
  const pausedMs = resumed.body.pause_duration_seconds * 1000;
  expect(pausedMs).toBeGreaterThanOrEqual(1_500);
  const after = await instance(id);
  const moved = (title: string) => Date.parse(taskNamed(after.tasks, title).due_at) - Date.parse(taskNamed(before.tasks, title).due_at);
  expect(moved('Review')).toBe(0);
  expect(after.timers[0].fire_at).toBe(before.timers[0].fire_at);
  expect(resumed.body.timers_rearmed).toEqual([expect.objectContaining({ name: 'chase', fire_at: before.timers[0].fire_at })]);
  // On an always-working calendar and on wall-clock time alike, the whole pause (from its start to the resume).
  expect(Math.abs(moved('Answer') - pausedMs)).toBeLessThan(50);
  expect(Math.abs(moved('Wall clock') - pausedMs)).toBeLessThan(50);
});

test("an SLA recalculation re-pins the tasks' calendars: tasks created after it count in the current version", async () => {
  const code = 'CAL_RECALC';
  const cycle = [{ from: 'OPEN', to: 'AGAIN', by: ['user'] }, { from: 'AGAIN', to: 'OPEN', by: ['user'] }];
  expect((await define({ code, states: ['OPEN', 'AGAIN'], transitions: cycle, tasks: [{ on_enter: 'AGAIN', title: 'Chase', due_in: 'PT2H', calendar: 'TEAM_HOURS' }] })).status).toBe(201);
  const id = (await start(code)).body.instance_id;
  const advance = (to_state: string) => h.request('POST', `/api/v1/workflows/${id}/advance`, { token: admin.token, body: { to_state } });
  const newest = async () => (await instance(id)).tasks.at(-1);
  expect((await advance('AGAIN')).status).toBe(200);
  // Version 2 of TEAM_HOURS (today works after all) applies only after the recalculation.
  expect((await h.request('PUT', '/api/v1/calendars/TEAM_HOURS', { token: admin.token, body: { name: 'Team', time_zone: 'UTC', working_hours: everyHour } })).body.version).toBe(2);
  expect(await newest()).toMatchObject({ calendar: 'TEAM_HOURS', calendar_version: 1, due_at: at(firstWorking + 2 * hourMs) });
  expect((await advance('OPEN')).status).toBe(200);
  expect((await advance('AGAIN')).status).toBe(200);
  expect(await newest()).toMatchObject({ calendar_version: 1, due_at: at(firstWorking + 2 * hourMs) });
  const recalc = await h.request('POST', `/api/v1/workflows/${id}/sla-recalc`, { token: admin.token, body: { recalc_reason: 'calendar v2', sla_override_hours: 4 } });
  expect(recalc.status).toBe(200);
  expect((await advance('OPEN')).status).toBe(200);
  expect((await advance('AGAIN')).status).toBe(200);
  const task = await newest();
  expect(task).toMatchObject({ calendar: 'TEAM_HOURS', calendar_version: 2 });
  // Counted from its creation in the workflow, a moment before its row was written.
  expect(Math.abs(Date.parse(task.due_at) - Date.parse(task.created_at) - 2 * hourMs)).toBeLessThan(5_000);
});

test('a migration pins the calendars the target version names; the tasks it then creates count in them', async () => {
  const v1 = { code: 'CAL_MIGRATE', states: ['OPEN', 'REVIEW', 'DONE'], transitions: [{ from: 'OPEN', to: 'REVIEW', by: ['user'] }, { from: 'REVIEW', to: 'DONE', by: ['user'] }] };
  expect((await define(v1)).status).toBe(201);
  const id = (await start('CAL_MIGRATE')).body.instance_id;
  expect((await define({ ...v1, version: 2, tasks: [{ on_enter: 'REVIEW', title: 'Review', due_in: 'PT8H', calendar: 'OPS_HOURS' }] })).status).toBe(201);
  const migrated = await h.request('POST', `/api/v1/workflows/${id}/migrate`, { token: admin.token, body: { to_version: 2 } });
  expect(migrated.status).toBe(200);
  expect((await h.request('POST', `/api/v1/workflows/${id}/advance`, { token: admin.token, body: { to_state: 'REVIEW' } })).status).toBe(200);
  expect(taskNamed((await instance(id)).tasks, 'Review')).toMatchObject({ due_at: at(firstWorking + 8 * hourMs), calendar: 'OPS_HOURS' });
});

test('a calendar that does not exist: START answers 422 CALENDAR_NOT_FOUND naming the field; a calendar without due_in is refused', async () => {
  expect((await define({ code: 'CAL_TASK_MISSING', states: ['OPEN', 'DONE'], transitions: [{ from: 'OPEN', to: 'DONE', by: ['user'] }], tasks: [{ on_enter: 'OPEN', title: 'T', due_in: 'PT1H', calendar: 'NO_SUCH' }] })).status).toBe(201);
  const res = await start('CAL_TASK_MISSING');
  expect(res.status).toBe(422);
  expect(res.body.error).toMatchObject({ code: 'CALENDAR_NOT_FOUND', details: { 'tasks.0.calendar': 'NO_SUCH' } });
  const bad = await define({ code: 'CAL_TASK_BAD', states: ['OPEN'], tasks: [{ on_enter: 'OPEN', title: 'T', calendar: 'OPS_HOURS' }] });
  expect(bad.status).toBe(400);
  expect(JSON.stringify(bad.body.error)).toContain('tasks.0.calendar');
});
