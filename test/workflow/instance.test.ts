import { randomUUID } from 'node:crypto';
import { systemActorId, type Actor } from '../../src/domain/actor';
import { guardCodes } from '../../src/definitions/registry';
import { heraPaused, heraState } from '../../src/temporal/searchAttributes';
import {
  advanceUpdate,
  checkSlaUpdate,
  claimTaskUpdate,
  completeTaskUpdate,
  fireTimerUpdate,
  migrateUpdate,
  pauseUpdate,
  reassignUpdate,
  resumeUpdate,
  retryEffectsUpdate,
  setTimerUpdate,
  slaRecalcUpdate,
  snapshotQuery,
  type AdminCommand,
  type AdvanceRequest,
} from '../../src/workflows/messages';
import type { DefinitionInput } from '../../src/definitions/schema';
import { acceptedUpdates, pin, refusalOf, startWorkflowTier, type InstanceHandle, type WorkflowTier } from './support/environment';
import { refusedTitle } from './support/memoryActivities';
import { eventually } from '../support/eventually';

const webhook = 'HERA.UNIV.WF.EFFECT.WEBHOOK.v1';
const review: DefinitionInput = {
  code: 'TIER_REVIEW',
  states: ['DRAFT', 'REVIEW', 'APPROVED', 'REJECTED'],
  initial_state: 'DRAFT',
  terminal_states: ['APPROVED', 'REJECTED'],
  sla_hours: 1,
  transitions: [
    { from: 'DRAFT', to: 'REVIEW', by: ['user'], effects: [webhook] },
    { from: 'REVIEW', to: 'APPROVED', by: ['manager'], guards: [{ code: guardCodes.context, with: { field: 'amount', op: 'lte', value: 1000 } }] },
    { from: 'REVIEW', to: 'REJECTED', by: ['manager'] },
  ],
  timers: [{ on_enter: 'REVIEW', name: 'remind', minutes: 60, on_fire: { create_task: { title: 'Chase the reviewer', assignee_role: 'manager', priority: 'high' } } }],
  tasks: [{ on_enter: 'REVIEW', title: 'Review', assignee_role: 'manager', due_in: 'PT2H' }],
  effect_retry: { max_attempts: 1, initial_interval: 'PT0.1S' },
};
const definition = pin(review);
/** The same, its webhook down (the stand-in fails effects given `fail: true`). */
const failing = pin({ ...review, code: 'TIER_FAILING', transitions: review.transitions!.map((t) => (t.to === 'REVIEW' ? { ...t, effects: [{ code: webhook, with: { fail: true } }] } : t)) });

const person = (roles: string[]): Actor => ({ userId: randomUUID(), roles });
const user = person(['user']);
const manager = person(['manager']);
const otherManager = person(['manager']);
const admin = person(['admin']);
const bossOfUser = randomUUID();

let tier: WorkflowTier;

beforeAll(async () => {
  tier = await startWorkflowTier({ teams: ['finance'], managers: { [user.userId]: bossOfUser } });
});
afterAll(() => tier?.close());

const advance = (handle: InstanceHandle, to_state: string, actor: Actor, extra: Partial<AdvanceRequest> = {}) =>
  handle.executeUpdate(advanceUpdate, { args: [{ to_state, actor, payload: {}, idempotency_key: null, request_hash: to_state, correlation_id: null, ...extra }] });
const snapshot = (handle: InstanceHandle) => handle.query(snapshotQuery);
/** Started as `user` (its owner) and moved to REVIEW: one pending timer, one open task. */
async function inReview(options: { context?: Record<string, unknown>; historyLimit?: number } = {}, pinned = definition) {
  const started = await tier.start(pinned, { actor: user, ...options });
  const moved = await advance(started.handle, 'REVIEW', user, { idempotency_key: 'to-review', request_hash: 'a' });
  const timer = tier.memory.callsOf(started.instanceId, 'applyTransition')[0].timersSet as Array<{ timer_id: string; fire_at: string }>;
  const task = tier.memory.callsOf(started.instanceId, 'applyTransition')[0].tasksCreated as Array<{ task_id: string; due_at: string }>;
  return { ...started, moved, timer: timer[0], task: task[0] };
}

test('a transition is one persisted step: its line, the state entered with its timers and tasks, the search attribute', async () => {
  const { handle, instanceId, moved, timer, task } = await inReview();
  expect(moved.replayed).toBe(false);
  expect(moved.answer).toMatchObject({ from_state: 'DRAFT', to_state: 'REVIEW', effects_queued: [webhook], timers_set: ['remind'], timers_cancelled: [] });
  const [created] = tier.memory.callsOf(instanceId, 'createInstanceRecord');
  expect(created.snapshot).toMatchObject({ current_state: 'DRAFT', owner_user_id: user.userId, status: 'active' });
  const [step] = tier.memory.callsOf(instanceId, 'applyTransition');
  expect(step).toMatchObject({ lineNumber: 2, actorUserId: user.userId, headerPatch: { current_state: 'REVIEW' }, status: 'active' });
  expect(timer.fire_at).toBe(new Date(Date.parse(moved.answer.transitioned_at) + 3_600_000).toISOString());
  expect(task.due_at).toBe(new Date(Date.parse(moved.answer.transitioned_at) + 7_200_000).toISOString());
  expect(await snapshot(handle)).toMatchObject({ current_state: 'REVIEW', status: 'active' });
  expect((await handle.describe()).typedSearchAttributes.get(heraState)).toBe('REVIEW');

  // The same key and body is answered from the workflow's memory; another body with the key is refused.
  const again = await advance(handle, 'REVIEW', user, { idempotency_key: 'to-review', request_hash: 'a' });
  expect(again).toEqual({ answer: moved.answer, replayed: true });
  expect(await refusalOf(advance(handle, 'REVIEW', user, { idempotency_key: 'to-review', request_hash: 'b' }))).toBe('IDEMPOTENCY_KEY_REUSED');
  expect(tier.memory.callsOf(instanceId, 'applyTransition')).toHaveLength(1);
});

test('refusals come from one check per command: a validator refusal leaves no event, a handler refusal changes nothing', async () => {
  const { handle, instanceId, timer, task } = await inReview({ context: { amount: 5000 } });
  const acceptedBefore = await acceptedUpdates(handle);
  expect(await refusalOf(advance(handle, 'APPROVED', user))).toBe('UNAUTHORIZED_ROLE');
  expect(await refusalOf(advance(handle, 'DRAFT', manager))).toBe('INVALID_TRANSITION');
  expect(await refusalOf(handle.executeUpdate(fireTimerUpdate, { args: [{ actor: admin, timer_id: randomUUID() }] }))).toBe('TIMER_NOT_FOUND');
  expect(await refusalOf(handle.executeUpdate(fireTimerUpdate, { args: [{ actor: admin, timer_id: timer.timer_id, due_by: new Date().toISOString() }] }))).toBe('TIMER_NOT_DUE');
  expect(await refusalOf(handle.executeUpdate(claimTaskUpdate, { args: [{ actor: user, task_id: task.task_id }] }))).toBe('UNAUTHORIZED_ROLE');
  expect(await refusalOf(handle.executeUpdate(setTimerUpdate, { args: [{ actor: admin, name: 'remind', minutes: 5, on_fire: { escalate_tasks: true } }] }))).toBe('DUPLICATE_TIMER_NAME');
  expect(await refusalOf(handle.executeUpdate(setTimerUpdate, { args: [{ actor: admin, duration: 'soon', on_fire: { escalate_tasks: true } }] }))).toBe('INVALID_DURATION');
  expect(await refusalOf(handle.executeUpdate(resumeUpdate, { args: [{ actor: admin }] }))).toBe('INSTANCE_NOT_PAUSED');
  expect(await refusalOf(handle.executeUpdate(reassignUpdate, { args: [{ actor: admin, owner_team: 'finance', owner_user_id: user.userId }] }))).toBe('INVALID_OWNER_ASSIGNMENT');
  expect(await acceptedUpdates(handle)).toEqual(acceptedBefore);

  // Checks that need the database run in the handler: the Update is accepted, then refused, and nothing moves.
  expect(await refusalOf(advance(handle, 'APPROVED', manager))).toBe('GUARD_FAILED');
  expect(await refusalOf(handle.executeUpdate(reassignUpdate, { args: [{ actor: admin, owner_team: 'nobody' }] }))).toBe('TEAM_NOT_FOUND');
  expect(await acceptedUpdates(handle)).toEqual([...acceptedBefore, 'advance', 'reassign']);
  expect(await snapshot(handle)).toMatchObject({ current_state: 'REVIEW', owner_team: null, owner_user_id: user.userId });
  expect(tier.memory.callsOf(instanceId, 'recordAdminChange')).toHaveLength(0);
});

test('pause freezes every clock: a timer keeps its remaining time exactly, and the SLA and task due times move with it', async () => {
  const { handle, instanceId, timer, task } = await inReview();
  const before = await snapshot(handle);
  const paused = await handle.executeUpdate(pauseUpdate, { args: [{ actor: admin, reason: 'vendor outage' }] });
  expect(paused).toMatchObject({ paused: true, pause_reason: 'vendor outage', paused_by: admin.userId });
  expect((await handle.describe()).typedSearchAttributes.get(heraPaused)).toBe(true);
  expect(await refusalOf(advance(handle, 'REJECTED', manager))).toBe('INSTANCE_PAUSED');
  expect(await refusalOf(handle.executeUpdate(fireTimerUpdate, { args: [{ actor: admin, timer_id: timer.timer_id }] }))).toBe('INSTANCE_PAUSED');
  expect(await refusalOf(handle.executeUpdate(pauseUpdate, { args: [{ actor: admin }] }))).toBe('INSTANCE_ALREADY_PAUSED');
  await new Promise((resolve) => setTimeout(resolve, 250));

  const resumed = await handle.executeUpdate(resumeUpdate, { args: [{ actor: admin, reason: 'vendor back' }] });
  const pausedMs = Date.parse(resumed.resumed_at) - Date.parse(paused.paused_at!);
  expect(pausedMs).toBeGreaterThanOrEqual(250);
  expect(resumed.pause_duration_seconds * 1000).toBe(pausedMs);
  expect(resumed.timers_rearmed).toEqual([{ timer_id: timer.timer_id, name: 'remind', fire_at: new Date(Date.parse(timer.fire_at) + pausedMs).toISOString() }]);
  expect(resumed.sla_at).toBe(new Date(Date.parse(before.sla_at!) + pausedMs).toISOString());
  const [, note] = tier.memory.callsOf(instanceId, 'recordAdminChange') as Array<{ lineNumber: number; headerPatch: Record<string, unknown>; tasksUpdated: Array<{ due_at: string }>; audit: unknown }>;
  expect(note.lineNumber).toBe(4);
  expect(note.headerPatch).toMatchObject({ paused: false, pause_total_ms: pausedMs, sla_at: resumed.sla_at });
  expect(note.tasksUpdated.map((t) => t.due_at)).toEqual([new Date(Date.parse(task.due_at) + pausedMs).toISOString()]);
  // Updates come from the API, which audits them itself.
  expect(note.audit).toBeNull();
  expect(await snapshot(handle)).toMatchObject({ paused: false, paused_at: null, sla_at: resumed.sla_at });
});

test('Temporal UI signals: the operator is recorded as typed and audited by the workflow, a refused one too', async () => {
  const { handle, instanceId } = await inReview();
  const audited = () => tier.memory.audit.filter((e) => e.instance_id === instanceId);
  await handle.signal('pause', { actor: 'ops-alice', reason: 'incident' });
  await handle.signal('pause', { actor: 'ops-bob' });
  const operatorId = randomUUID();
  await handle.signal('resume', { actor: operatorId });
  await handle.signal('reassign', { actor: 'ops-alice', owner_team: 'finance', via_api: true });
  await waitFor(async () => audited().length === 4);
  expect(await snapshot(handle)).toMatchObject({ paused: false, owner_team: 'finance', owner_user_id: null });
  expect(audited().map(({ procedure_code, outcome, error_code, actor, actor_user_id }) => ({ procedure_code, outcome, error_code, actor, actor_user_id }))).toEqual([
    { procedure_code: 'HERA.UNIV.WF.INSTANCE.PAUSE.V1', outcome: 'SUCCESS', error_code: null, actor: 'ops-alice', actor_user_id: systemActorId },
    { procedure_code: 'HERA.UNIV.WF.INSTANCE.PAUSE.V1', outcome: 'REFUSED', error_code: 'INSTANCE_ALREADY_PAUSED', actor: 'ops-bob', actor_user_id: systemActorId },
    { procedure_code: 'HERA.UNIV.WF.INSTANCE.RESUME.V1', outcome: 'SUCCESS', error_code: null, actor: operatorId, actor_user_id: operatorId },
    { procedure_code: 'HERA.UNIV.WF.INSTANCE.REASSIGN.V1', outcome: 'SUCCESS', error_code: null, actor: 'ops-alice', actor_user_id: systemActorId },
  ]);
  const notes = tier.memory.callsOf(instanceId, 'recordAdminChange') as Array<{ lineData: Record<string, unknown> }>;
  expect(notes.map((n) => [n.lineData.note, n.lineData.actor])).toEqual([['PAUSE', 'ops-alice'], ['RESUME', operatorId], ['REASSIGN', 'ops-alice']]);
});

test('a Temporal UI signal whose note the database refuses for good is audited as refused; the instance goes on', async () => {
  const { handle, instanceId } = await inReview();
  const audited = () => tier.memory.audit.filter((e) => e.instance_id === instanceId);
  await handle.signal('pause', { actor: 'ops-carol', reason: refusedTitle });
  await waitFor(async () => audited().length === 1);
  expect(audited()[0]).toMatchObject({ outcome: 'REFUSED', error_code: 'PERSISTENCE_REJECTED', actor: 'ops-carol' });
  // The run did not fail: it takes the next signal and command.
  await handle.signal('resume', { actor: 'ops-carol' });
  await waitFor(async () => audited().length === 2);
  expect((await advance(handle, 'REJECTED', manager)).answer).toMatchObject({ from_state: 'REVIEW', to_state: 'REJECTED' });
});

test('an operator command in the previous shape (the caller by id, `via_api`) is read as that user, and not audited twice', async () => {
  const { handle, instanceId } = await inReview();
  const legacy = { actor: admin.userId, reason: 'rolling deploy', via_api: true } as unknown as AdminCommand;
  expect(await handle.executeUpdate(pauseUpdate, { args: [legacy] })).toMatchObject({ paused_by: admin.userId });
  expect(await handle.executeUpdate(slaRecalcUpdate, { args: [{ ...legacy, sla_override_hours: 2 }] })).toMatchObject({ pause_time_hours: 0 });
  const notes = tier.memory.callsOf(instanceId, 'recordAdminChange') as Array<{ actorUserId: string; lineData: Record<string, unknown>; audit: unknown }>;
  expect(notes.map((n) => [n.lineData.note, n.actorUserId, n.lineData.actor, n.audit])).toEqual([
    ['PAUSE', admin.userId, admin.userId, null],
    ['SLA_RECALC', admin.userId, admin.userId, null],
  ]);
});

test('a timer fires once: its action runs and it is FIRED; the loop fires a due timer by itself and the instance ends', async () => {
  const { handle, instanceId, timer } = await inReview();
  const fired = await handle.executeUpdate(fireTimerUpdate, { args: [{ actor: admin, timer_id: timer.timer_id }] });
  expect(fired).toMatchObject({ status: 'FIRED', execution_result: { task_created: expect.any(String) } });
  expect(tier.memory.timerStatus.get(timer.timer_id)).toBe('FIRED');
  const [chase] = tier.memory.callsOf(instanceId, 'saveTasks') as Array<{ created: Array<{ title: string; priority: string; assignee_role: string }>; actorUserId: string }>;
  expect(chase).toMatchObject({ created: [{ title: 'Chase the reviewer', priority: 'high', assignee_role: 'manager' }], actorUserId: admin.userId });
  expect(await refusalOf(handle.executeUpdate(fireTimerUpdate, { args: [{ actor: admin, timer_id: timer.timer_id }] }))).toBe('TIMER_ALREADY_FIRED');

  // An admin is no manager, not even through a timer; a manager's timer advances as the manager.
  expect(await refusalOf(handle.executeUpdate(setTimerUpdate, { args: [{ actor: admin, duration: 'PT0.3S', on_fire: { advance_to: 'REJECTED' } }] }))).toBe('UNAUTHORIZED_ROLE');
  const soon = await handle.executeUpdate(setTimerUpdate, { args: [{ actor: manager, duration: 'PT0.3S', on_fire: { advance_to: 'REJECTED' } }] });
  expect(soon.name).toMatch(/^timer-[0-9a-f]{8}$/);
  const finished = await handle.result();
  expect(finished).toMatchObject({ current_state: 'REJECTED', status: 'completed' });
  expect(tier.memory.timerStatus.get(soon.timer_id)).toBe('FIRED');
  const steps = tier.memory.callsOf(instanceId, 'applyTransition') as Array<{ lineData: { note: string | null; by: string } }>;
  expect(steps.map((s) => [s.lineData.note, s.lineData.by])).toEqual([[null, 'user'], [`TIMER ${soon.name}`, 'manager']]);
});

test('a timer whose action the database refuses for good is FAILED, and the instance goes on', async () => {
  const { handle, instanceId } = await inReview();
  const doomed = await handle.executeUpdate(setTimerUpdate, { args: [{ actor: manager, duration: 'PT0.2S', on_fire: { create_task: { title: refusedTitle, assignee_role: 'manager', priority: 'low' } } }] });
  await eventually(async () => expect(tier.memory.timerStatus.get(doomed.timer_id)).toBe('FAILED'));
  expect(tier.memory.callsOf(instanceId, 'saveTasks')).toEqual([expect.objectContaining({ created: [expect.objectContaining({ title: refusedTitle })] })]);
  expect((await advance(handle, 'REJECTED', manager)).answer).toMatchObject({ from_state: 'REVIEW', to_state: 'REJECTED' });
  expect(await handle.result()).toMatchObject({ current_state: 'REJECTED', status: 'completed' });
});

test('a task its transition is still writing can be claimed: the claim waits for the transition, then finds it', async () => {
  const started = await tier.start(definition, { actor: user });
  const moving = advance(started.handle, 'REVIEW', user, { payload: { slow_ms: 1_500 } });
  const { tasksCreated } = await eventually(async () => {
    const [call] = tier.memory.callsOf(started.instanceId, 'applyTransition') as Array<{ tasksCreated: Array<{ task_id: string }> }>;
    expect(call).toBeDefined();
    return call;
  });
  const claimed = await started.handle.executeUpdate(claimTaskUpdate, { args: [{ actor: manager, task_id: tasksCreated[0].task_id }] });
  expect(claimed.task).toMatchObject({ task_id: tasksCreated[0].task_id, state: 'CLAIMED', assignee_user_id: manager.userId });
  expect((await moving).answer).toMatchObject({ to_state: 'REVIEW' });
  // A task no command is writing is still refused at once.
  expect(await refusalOf(started.handle.executeUpdate(claimTaskUpdate, { args: [{ actor: manager, task_id: randomUUID() }] }))).toBe('TASK_NOT_FOUND');
});

test('tasks: a claim needs the role, only the assignee completes, and completing may advance the instance', async () => {
  const { handle, task } = await inReview({ context: { amount: 10 } });
  const claim = (actor: Actor) => handle.executeUpdate(claimTaskUpdate, { args: [{ actor, task_id: task.task_id }] });
  const complete = (actor: Actor) =>
    handle.executeUpdate(completeTaskUpdate, { args: [{ actor, task_id: task.task_id, outcome: 'approved', advance_workflow: { to_state: 'APPROVED', payload: {} } }] });
  expect((await claim(manager)).task).toMatchObject({ state: 'CLAIMED', assignee_user_id: manager.userId });
  expect(await refusalOf(claim(otherManager))).toBe('TASK_NOT_OPEN');
  expect(await refusalOf(complete(otherManager))).toBe('UNAUTHORIZED_ASSIGNEE');
  expect(await complete(manager)).toMatchObject({ task: { state: 'COMPLETED', completed_by: manager.userId }, workflow_advanced: true });
  expect(await handle.result()).toMatchObject({ current_state: 'APPROVED', status: 'completed' });
});

test('continue-as-new carries the whole instance: state, pause, timers, tasks, line numbers and idempotency answers', async () => {
  const { handle, instanceId, moved, timer, task } = await inReview({ historyLimit: 25 });
  const firstRun = (await handle.describe()).runId;
  for (let i = 0; i < 3; i += 1) {
    await handle.executeUpdate(pauseUpdate, { args: [{ actor: admin }] });
    await handle.executeUpdate(resumeUpdate, { args: [{ actor: admin }] });
  }
  await handle.executeUpdate(pauseUpdate, { args: [{ actor: admin, reason: 'carried' }] });
  const latest = tier.client.workflow.getHandle(handle.workflowId);
  await waitFor(async () => (await latest.describe()).runId !== firstRun);
  expect(await latest.query(snapshotQuery)).toMatchObject({ current_state: 'REVIEW', paused: true, pause_reason: 'carried' });
  expect(await latest.executeUpdate(advanceUpdate, { args: [{ to_state: 'REVIEW', actor: user, payload: {}, idempotency_key: 'to-review', request_hash: 'a', correlation_id: null }] })).toEqual({ answer: moved.answer, replayed: true });
  const resumed = await latest.executeUpdate(resumeUpdate, { args: [{ actor: admin }] });
  expect(resumed.timers_rearmed.map((t) => t.timer_id)).toEqual([timer.timer_id]);
  expect((await latest.executeUpdate(claimTaskUpdate, { args: [{ actor: manager, task_id: task.task_id }] })).task.state).toBe('CLAIMED');
  const lines = (tier.memory.callsOf(instanceId, 'recordAdminChange') as Array<{ lineNumber: number }>).map((n) => n.lineNumber);
  expect(lines).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
});

test('a migrated instance follows the new version after continue-as-new', async () => {
  const { handle } = await inReview({ historyLimit: 25 });
  const v2 = pin({ ...review, version: 2, states: [...review.states!, 'ESCALATED'], transitions: [...review.transitions!, { from: 'REVIEW', to: 'ESCALATED', by: ['manager'] }] });
  const migrated = await handle.executeUpdate(migrateUpdate, { args: [{ actor: admin, to_version: 2, definition: v2 }] });
  expect(migrated).toMatchObject({ valid: true, from_version: 1, to_version: 2, to_state: 'REVIEW', timers: [{ action: 'keep', reason: 'DEFINED_IN_TARGET' }] });
  const firstRun = (await handle.describe()).runId;
  for (let i = 0; i < 4; i += 1) {
    await handle.executeUpdate(pauseUpdate, { args: [{ actor: admin }] });
    await handle.executeUpdate(resumeUpdate, { args: [{ actor: admin }] });
  }
  const latest = tier.client.workflow.getHandle(handle.workflowId);
  await waitFor(async () => (await latest.describe()).runId !== firstRun);
  expect(await latest.query(snapshotQuery)).toMatchObject({ definition_version: 2, current_state: 'REVIEW' });
  expect((await advance(latest, 'ESCALATED', manager)).answer).toMatchObject({ from_state: 'REVIEW', to_state: 'ESCALATED' });
});

test('an effect that fails for good is settled, and a retry runs it again under its own id', async () => {
  const { handle, instanceId, moved } = await inReview({}, failing);
  await waitFor(async () => tier.memory.callsOf(instanceId, 'executeEffect').length === 1 && tier.memory.calls.some((c) => c.name === 'settleFailedEffect' && c.args.stepId === moved.answer.step_id));
  const [first] = tier.memory.callsOf(instanceId, 'executeEffect') as Array<{ effectId: string; code: string }>;
  const retried = await handle.executeUpdate(retryEffectsUpdate, { args: [{ actor: admin, step_id: moved.answer.step_id }] });
  expect(retried).toMatchObject({ effects_retried: [webhook], effects_successful: [], effects_still_failed: [webhook] });
  const [, again] = tier.memory.callsOf(instanceId, 'executeEffect') as Array<{ effectId: string }>;
  expect(again.effectId).toBe(first.effectId);
  const [note] = tier.memory.callsOf(instanceId, 'recordAdminChange') as Array<{ lineData: Record<string, unknown>; actorUserId: string }>;
  expect(note).toMatchObject({ actorUserId: admin.userId, lineData: { note: 'EFFECT_RETRY', retried_step_id: moved.answer.step_id } });
});

test('the SLA check records each level once, telling the owner and then the owner’s manager', async () => {
  const { handle, instanceId } = await inReview();
  const { sla_at } = await snapshot(handle);
  const at = (afterMs: number) => new Date(Date.parse(sla_at!) + afterMs).toISOString();
  const check = (as_of: string) => handle.executeUpdate(checkSlaUpdate, { args: [{ as_of, operations_team: 'operations' }] });
  expect(await refusalOf(check(at(-40 * 60_000)))).toBe('NOTHING_DUE');
  expect(await check(at(-20 * 60_000))).toMatchObject({ warned: true, sla_warning_level: 1, escalated_levels: [] });
  expect(await check(at(2 * 3_600_000 + 1))).toMatchObject({ sla_escalation_level: 2, escalated_levels: [1, 2], notifications: 2 });
  expect(await refusalOf(check(at(2 * 3_600_000 + 1)))).toBe('NOTHING_DUE');
  const notes = tier.memory.callsOf(instanceId, 'recordAdminChange') as Array<{ notifications: Array<{ recipient: unknown }> }>;
  expect(notes.map((n) => n.notifications.map((x) => x.recipient))).toEqual([[{ user_id: user.userId }], [{ user_id: user.userId }, { user_id: bossOfUser }]]);
});

/** Polls a condition of the workflow (bounded: 5 s). */
async function waitFor(ok: () => Promise<boolean>): Promise<void> {
  for (const until = Date.now() + 5_000; Date.now() < until; await new Promise((resolve) => setTimeout(resolve, 25))) {
    if (await ok()) return;
  }
  throw new Error('the workflow did not get there in 5 s');
}

test("START's time is the API's, and never later than the run's start on Temporal's clock", async () => {
  const before = Date.now() - 5_000;
  const early = await tier.start(definition, { actor: user, startedAt: before });
  expect(await snapshot(early.handle)).toMatchObject({ created_at: new Date(before).toISOString() });
  // An API clock ahead of Temporal's: the instance counts from its run's start instead.
  const ahead = await tier.start(definition, { actor: user, startedAt: Date.now() + 3_600_000 });
  const { events } = await ahead.handle.fetchHistory();
  const started = events![0]!.eventTime!;
  const startedMs = Number(started.seconds) * 1000 + Math.floor((started.nanos ?? 0) / 1e6);
  expect((await snapshot(ahead.handle)).created_at).toBe(new Date(startedMs).toISOString());
});
