import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiClient } from './client';
import { chaosDefinitionCode, finalState } from './definition';

export interface Actors {
  employee: string;
  manager: string;
}

export interface LoadOptions {
  instances: number;
  concurrency: number;
  /** Instance i starts no earlier than i × rampMs / instances after the load began, so the load spans the faults. */
  rampMs: number;
  /** How long a client waits for the timer to move its instance to REVIEW with an open task. */
  reviewWaitMs: number;
  /** Distinguishes this run's Idempotency-Keys. */
  runId: string;
}

/** What the clients did: instance ids by index, the step each client reached, and the clients that gave up. */
export interface LoadResult {
  instanceIds: Map<number, string>;
  /** Instances whose client drove them to the final state. */
  driven: number;
  /** A client that stopped: the instance, the step and why. */
  stopped: Array<{ index: number; instance?: string; step: string; reason: string }>;
}

/** One instance, driven as a real client would: START, two ADVANCEs, wait for the timer, claim and complete the task. */
async function driveInstance(client: ApiClient, actors: Actors, options: LoadOptions, index: number, result: LoadResult): Promise<void> {
  const key = (step: string) => `chaos-${options.runId}-${index}-${step}`;
  // A client that stops says why: the last answer of its failed request, when that is the reason.
  const stop = (step: string, reason: string, instance?: string) => {
    const failure = reason === 'request failed' ? client.stats.failures.filter((f) => f.op === step && (instance ? f.instance === instance : f.idempotencyKey === key('start'))).pop() : undefined;
    result.stopped.push({ index, instance, step, reason: failure ? `${reason} after ${failure.attempts} attempt(s): ${failure.last}` : reason });
  };
  const started = await client.call('start', 'POST', '/api/v1/workflows', {
    token: actors.employee,
    key: key('start'),
    body: { definition_code: chaosDefinitionCode, subject_ref: { entity_type: 'chaos', entity_id: `chaos-${index}` }, context: { index } },
  });
  if (!started) return stop('start', 'request failed');
  const id = String(started.body.instance_id);
  result.instanceIds.set(index, id);
  for (const to of ['SUBMITTED', 'WAITING']) {
    const moved = await client.call(`advance ${to}`, 'POST', `/api/v1/workflows/${id}/advance`, {
      token: actors.employee,
      key: key(`advance-${to}`),
      instance: id,
      body: { to_state: to, actor_role: 'employee', payload: { chaos: true } },
    });
    if (!moved) return stop(`advance ${to}`, 'request failed', id);
  }
  const taskId = await waitForReviewTask(client, actors, id, options.reviewWaitMs);
  if (!taskId) return stop('wait for REVIEW', `no REVIEW state with an open task within ${options.reviewWaitMs} ms`, id);
  const claimed = await client.call('task claim', 'POST', `/api/v1/tasks/${taskId}/claim`, { token: actors.manager, key: key('claim'), instance: id, body: {} });
  if (!claimed) return stop('task claim', 'request failed', id);
  const completed = await client.call('task complete', 'POST', `/api/v1/tasks/${taskId}/complete`, {
    token: actors.manager,
    key: key('complete'),
    instance: id,
    body: { outcome: 'approved', advance_workflow: { to_state: finalState } },
  });
  if (!completed) return stop('task complete', 'request failed', id);
  if (completed.body.workflow_advanced !== true) return stop('task complete', `task completed but the workflow did not advance: ${JSON.stringify(completed.body.warning ?? completed.body)}`, id);
  result.driven += 1;
}

/** Polls the instance until its timer has moved it to REVIEW and the task there is open; answers the task id. */
async function waitForReviewTask(client: ApiClient, actors: Actors, id: string, waitMs: number): Promise<string | undefined> {
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    const got = await client.call('get instance', 'GET', `/api/v1/workflows/${id}?include_steps=false&include_timers=false&include_effects=false`, { token: actors.manager, instance: id });
    if (!got) return undefined;
    const task = (got.body.tasks ?? []).find((t: { task_state?: string }) => t.task_state === 'OPEN');
    if (got.body.instance?.current_state === 'REVIEW' && task) return String(task.task_id);
    await sleep(500);
  }
  return undefined;
}

/** Runs the instances with bounded concurrency, paced over the ramp. */
export async function runLoad(client: ApiClient, actors: Actors, options: LoadOptions): Promise<LoadResult> {
  const result: LoadResult = { instanceIds: new Map(), driven: 0, stopped: [] };
  const began = Date.now();
  let next = 0;
  const lane = async () => {
    while (next < options.instances) {
      const index = next++;
      const notBefore = began + (index * options.rampMs) / options.instances;
      if (Date.now() < notBefore) await sleep(notBefore - Date.now());
      await driveInstance(client, actors, options, index, result).catch((error: unknown) => {
        result.stopped.push({ index, instance: result.instanceIds.get(index), step: 'client', reason: `client error: ${String(error)}` });
      });
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, lane));
  return result;
}
