import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { effectCodes } from '../definitions/registry';
import type { ApiClient } from './client';
import { expectedTransitions, finalState, timerName } from './definition';
import type { WebhookCall } from './receiver';

/** One thing found wrong: which check, which instance, what exactly. */
export interface Finding {
  check: CheckName;
  instance?: string;
  detail: string;
}

/** Every count that must be zero after a run. */
export const checkNames = [
  'instances_lost',
  'instances_duplicated',
  'instances_not_final',
  'api_state_mismatch',
  'steps_missing',
  'steps_duplicated',
  'effects_missing',
  'effects_duplicated',
  'effects_not_completed',
  'webhooks_undelivered',
  'webhook_keys_unstable',
  'webhook_calls_for_unknown_effects',
  'outbox_missing',
  'outbox_duplicated',
  'timers_not_fired_once',
  'tasks_not_completed_once',
] as const;
export type CheckName = (typeof checkNames)[number];

export interface CheckResult {
  findings: Finding[];
  instancesInDatabase: number;
  instancesFinal: number;
  webhookEffects: number;
  notifyEffects: number;
  /** Webhook effects delivered successfully more than once (allowed: at least once, under one key). */
  webhooksDeliveredMoreThanOnce: number;
}

/** Waits (bounded) until no effect is still pending and nothing in the organization has changed for `settleMs`. */
export async function waitForQuiet(ownerUrl: string, organizationId: string, boundMs: number, settleMs = 5000): Promise<{ quiet: boolean; waitedMs: number }> {
  const started = Date.now();
  while (Date.now() - started < boundMs) {
    const client = new pg.Client({ connectionString: ownerUrl, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      const { rows } = await client.query<{ pending: string; idle_ms: number | null }>(
        `select (select count(*) from wf_effects_view where organization_id = $1 and effect_status not in ('COMPLETED', 'PERMANENTLY_FAILED')) as pending,
                (select extract(epoch from now() - greatest(max(updated_at), max(created_at))) * 1000 from universal_transactions where organization_id = $1) as idle_ms`,
        [organizationId],
      );
      if (Number(rows[0].pending) === 0 && Number(rows[0].idle_ms ?? 0) >= settleMs) return { quiet: true, waitedMs: Date.now() - started };
    } catch {
      // The database may still be coming back: try again.
    } finally {
      await client.end().catch(() => undefined);
    }
    await sleep(1000);
  }
  return { quiet: false, waitedMs: Date.now() - started };
}

interface InstanceRow {
  instance_id: string;
  current_state: string | null;
  status: string;
}
interface StepRow {
  instance_id: string;
  step_id: string;
  line_number: number;
  from_state: string | null;
  to_state: string | null;
  note: string | null;
}
interface EffectRow {
  effect_id: string;
  instance_id: string;
  step_id: string;
  effect_smart_code: string;
  effect_status: string;
  attempt_count: number;
  last_error: string | null;
}

const groupBy = <T>(rows: T[], key: (row: T) => string) => {
  const map = new Map<string, T[]>();
  for (const row of rows) map.set(key(row), [...(map.get(key(row)) ?? []), row]);
  return map;
};

/**
 * Reads the organization's records as the owner (no RLS) and checks every instance against the definition's
 * path, the receiver's calls and the API's own answer.
 */
export async function checkRun(options: {
  ownerUrl: string;
  organizationId: string;
  expectedInstances: number;
  /** Instance ids the clients learned, by index. */
  clientInstanceIds: Map<number, string>;
  /** Why a client stopped driving an instance, by instance id (added to that instance's findings). */
  stoppedClients: Map<string, string>;
  calls: WebhookCall[];
  client: ApiClient;
  token: string;
}): Promise<CheckResult> {
  const findings: Finding[] = [];
  const found = (check: CheckName, detail: string, instance?: string) => findings.push({ check, instance, detail });
  const db = new pg.Client({ connectionString: options.ownerUrl });
  await db.connect();
  const read = async <T extends pg.QueryResultRow>(view: string, columns: string) =>
    (await db.query<T>(`select ${columns} from ${view} where organization_id = $1`, [options.organizationId])).rows;
  let instances: InstanceRow[], steps: StepRow[], effects: EffectRow[];
  let outbox: Array<{ idempotency_key: string; instance_id: string }>;
  let timers: Array<{ instance_id: string; timer_name: string; timer_status: string; fired_at: Date | null }>;
  let tasks: Array<{ instance_id: string; task_state: string; completed_at: Date | null }>;
  try {
    instances = await read('wf_instances_view', 'instance_id, current_state, status');
    steps = await read('wf_steps_view', 'instance_id, step_id, line_number, from_state, to_state, note');
    effects = await read('wf_effects_view', 'effect_id, instance_id, step_id, effect_smart_code, effect_status, attempt_count, last_error');
    outbox = await read('wf_notifications_view', 'idempotency_key, instance_id');
    timers = await read('wf_timers_view', 'instance_id, timer_name, timer_status, fired_at');
    tasks = await read('wf_tasks_view', 'instance_id, task_state, completed_at');
  } finally {
    await db.end();
  }

  // Instances: one per client, none without a client (a START that created two), none unknown to its client.
  if (instances.length < options.expectedInstances) found('instances_lost', `${options.expectedInstances} started by the clients, ${instances.length} in the database`);
  if (instances.length > options.expectedInstances) found('instances_duplicated', `${options.expectedInstances} started by the clients, ${instances.length} in the database`);
  const known = new Set(options.clientInstanceIds.values());
  for (const instance of instances) {
    if (!known.has(instance.instance_id)) found('instances_lost', `in the database but its client never learned its id (state ${instance.current_state})`, instance.instance_id);
  }

  const stepsOf = groupBy(steps, (s) => s.instance_id);
  const effectsOf = groupBy(effects, (e) => e.step_id);
  const outboxOf = groupBy(outbox, (o) => o.idempotency_key ?? '');
  const timersOf = groupBy(timers, (t) => t.instance_id);
  const tasksOf = groupBy(tasks, (t) => t.instance_id);
  const callsOf = groupBy(options.calls, (c) => c.effectId);
  const effectIds = new Set(effects.map((e) => e.effect_id));
  let webhookEffects = 0;
  let notifyEffects = 0;
  let webhooksDeliveredMoreThanOnce = 0;

  for (const instance of instances) {
    const id = instance.instance_id;
    if (instance.current_state !== finalState || instance.status !== 'completed') {
      const stopped = options.stoppedClients.get(id);
      found('instances_not_final', `state ${instance.current_state}, status ${instance.status}${stopped ? `; its client stopped at ${stopped}` : ''}`, id);
    }
    const lines = stepsOf.get(id) ?? [];
    const lineNumbers = groupBy(lines, (l) => String(l.line_number));
    for (const [line, same] of lineNumbers) if (same.length > 1) found('steps_duplicated', `line number ${line} appears ${same.length} times`, id);
    for (const t of expectedTransitions) {
      const matching = lines.filter((l) => l.from_state === t.from && l.to_state === t.to);
      if (matching.length === 0 && instance.current_state === finalState) found('steps_missing', `no step line ${t.from ?? '(start)'} → ${t.to}`, id);
      if (matching.length > 1) found('steps_duplicated', `${matching.length} step lines ${t.from ?? '(start)'} → ${t.to} (lines ${matching.map((m) => m.line_number).join(', ')})`, id);
      if (!t.effects) continue;
      for (const line of matching) {
        const recorded = effectsOf.get(line.step_id) ?? [];
        for (const code of [effectCodes.webhook, effectCodes.notify]) {
          const ofCode = recorded.filter((e) => e.effect_smart_code === code);
          if (ofCode.length === 0) found('effects_missing', `step ${t.from} → ${t.to} (${line.step_id}) has no ${code} record`, id);
          if (ofCode.length > 1) found('effects_duplicated', `step ${t.from} → ${t.to} has ${ofCode.length} ${code} records`, id);
        }
      }
    }
    for (const effect of effects.filter((e) => e.instance_id === id)) {
      if (effect.effect_status !== 'COMPLETED') {
        found('effects_not_completed', `${effect.effect_smart_code} ${effect.effect_id} is ${effect.effect_status} after ${effect.attempt_count} attempt(s): ${effect.last_error ?? ''}`, id);
      }
      if (effect.effect_smart_code === effectCodes.webhook) {
        webhookEffects += 1;
        const calls = callsOf.get(effect.effect_id) ?? [];
        if (!calls.some((c) => c.status === 200)) found('webhooks_undelivered', `webhook ${effect.effect_id}: ${calls.length} call(s), none answered 200`, id);
        const keys = new Set(calls.map((c) => c.key));
        if (keys.size > 1 || (calls.length > 0 && !keys.has(effect.effect_id))) {
          found('webhook_keys_unstable', `webhook ${effect.effect_id} arrived under keys ${[...keys].map(String).join(', ')}`, id);
        }
        if (calls.filter((c) => c.status === 200).length > 1) webhooksDeliveredMoreThanOnce += 1;
      }
      if (effect.effect_smart_code === effectCodes.notify) {
        notifyEffects += 1;
        const rows = outboxOf.get(`effect:${effect.effect_id}`) ?? [];
        if (rows.length === 0) found('outbox_missing', `NOTIFY ${effect.effect_id} (${effect.effect_status}) has no outbox row`, id);
        if (rows.length > 1) found('outbox_duplicated', `NOTIFY ${effect.effect_id} has ${rows.length} outbox rows`, id);
      }
    }
    // Rows under another key than their effect's (a second write of one notice) are duplicates too.
    const notices = outbox.filter((o) => o.instance_id === id);
    const notifies = effects.filter((e) => e.instance_id === id && e.effect_smart_code === effectCodes.notify).length;
    if (notices.length > notifies) found('outbox_duplicated', `${notices.length} outbox rows for ${notifies} NOTIFY effects (keys ${notices.map((n) => n.idempotency_key).join(', ')})`, id);
    if (instance.current_state === finalState) {
      const timer = (timersOf.get(id) ?? []).filter((t) => t.timer_name === timerName);
      if (timer.length !== 1 || timer[0].timer_status !== 'FIRED' || !timer[0].fired_at) {
        found('timers_not_fired_once', `${timer.length} ${timerName} timer(s): ${timer.map((t) => t.timer_status).join(', ')}`, id);
      }
      const task = tasksOf.get(id) ?? [];
      if (task.length !== 1 || task[0].task_state !== 'COMPLETED' || !task[0].completed_at) {
        found('tasks_not_completed_once', `${task.length} task(s): ${task.map((t) => t.task_state).join(', ')}`, id);
      }
    }
    const api = await options.client.call('check get', 'GET', `/api/v1/workflows/${id}?include_steps=false&include_tasks=false&include_timers=false&include_effects=false`, { token: options.token, instance: id });
    if (api?.body.instance?.current_state !== instance.current_state) {
      found('api_state_mismatch', `the API answers ${api ? api.body.instance?.current_state : 'nothing'}, the database ${instance.current_state}`, id);
    }
  }
  for (const [effectId, calls] of callsOf) {
    if (!effectIds.has(effectId)) found('webhook_calls_for_unknown_effects', `${calls.length} call(s) for effect ${effectId || '(none in body)'}, which has no record`, calls[0].instanceId);
  }
  return {
    findings,
    instancesInDatabase: instances.length,
    instancesFinal: instances.filter((i) => i.current_state === finalState && i.status === 'completed').length,
    webhookEffects,
    notifyEffects,
    webhooksDeliveredMoreThanOnce,
  };
}
