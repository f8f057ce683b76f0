import type { TaskRecord } from '../src/domain/task';
import type { TimerRecord } from '../src/domain/timer';
import { instanceStaticDetails, instanceSummary } from '../src/temporal/instanceMetadata';
import type { InstanceSnapshot } from '../src/workflows/messages';
import { currentDetails } from '../src/workflows/instance/details';

// What the Temporal UI shows of an instance, as pure functions: the summary, the static and current details.

const snapshot = (patch: Partial<InstanceSnapshot> = {}): InstanceSnapshot => ({
  instance_id: 'i-1',
  organization_id: 'o-1',
  definition_code: 'LEAVE_APPROVAL',
  definition_version: 3,
  current_state: 'MANAGER_REVIEW',
  subject_ref: null,
  context: {},
  status: 'active',
  paused: false,
  owner_team: null,
  owner_user_id: 'u-1',
  sla_at: '2026-01-02T00:00:00.000Z',
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  ...patch,
});
const timer = (name: string, fire_at: string) => ({ timer_id: `t-${name}`, name, fire_at }) as TimerRecord;
const task = { task_id: 'k-1', title: 'Approve | reject', state: 'OPEN', assignee_role: 'manager', assignee_user_id: null, due_at: null } as TaskRecord;

test('the summary names the subject, or the instance without one; the static details link the API', () => {
  const base = { organizationId: 'o-1', instanceId: 'i-1', definition: { code: 'LEAVE_APPROVAL', version: 3 }, correlationId: 'c-1' };
  expect(instanceSummary({ ...base, subjectRef: { entity_id: 'emp_7', entity_type: 'leave_request' } })).toBe('LEAVE_APPROVAL · emp_7 (leave_request)');
  expect(instanceSummary({ ...base, subjectRef: null })).toBe('LEAVE_APPROVAL · i-1');
  const details = instanceStaticDetails({ ...base, subjectRef: null });
  expect(details).toContain('- Definition: LEAVE_APPROVAL v3');
  expect(details).toContain('`GET /api/v1/workflows/i-1`');
});

test('current details: a paused instance says by whom and why (a multi-line reason on one line), its SLA level, open tasks and timers soonest first', () => {
  const paused = snapshot({ paused: true, paused_at: '2026-01-01T01:00:00.000Z', paused_by: 'ops', pause_reason: 'vendor\ndispute', sla_escalation_level: 2 });
  const text = currentDetails(paused, [task], [timer('late', '2026-01-03T00:00:00.000Z'), timer('soon', '2026-01-01T02:00:00.000Z')]);
  expect(text.split('\n\n')).toEqual([
    '**State:** MANAGER_REVIEW (active)',
    '**Paused** since 2026-01-01T01:00:00.000Z by ops: vendor dispute',
    '**Owner:** user u-1',
    '**SLA:** due 2026-01-02T00:00:00.000Z, breached, escalation level 2',
    '**Open tasks (1)**',
    '- Approve \\| reject · OPEN · manager (`k-1`)',
    '**Pending timers (2)**',
    '- soon · fires 2026-01-01T02:00:00.000Z (`t-soon`)\n- late · fires 2026-01-03T00:00:00.000Z (`t-late`)',
  ]);
  expect(currentDetails(snapshot({ owner_team: 'finance', sla_at: null, sla_warning_level: 1 }), [], [])).toBe(
    ['**State:** MANAGER_REVIEW (active)', '**Running** (not paused)', '**Owner:** team finance', '**SLA:** none', '**Open tasks (0)**', '**Pending timers (0)**'].join('\n\n'),
  );
});
