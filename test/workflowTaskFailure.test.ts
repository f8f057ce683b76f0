import { ApplicationFailure, ServiceError, WorkflowUpdateFailedError, type WorkflowStartUpdateInput, type WorkflowStartUpdateOutput } from '@temporalio/client';
import { unavailableFrom } from '../src/temporal/commands';
import { ResendUnprocessedUpdates, unprocessedUpdateType } from '../src/temporal/unprocessedUpdates';
import { startHarness, type Harness, type Member, type SecondApi } from './support/harness';
import { childWorker, pollersOn, type ChildWorker } from './support/worker';

let h: Harness;
let admin: Member;

beforeAll(async () => {
  h = await startHarness();
  admin = await h.member((await h.organization()).id, ['admin', 'user', 'employee']);
});
afterAll(() => h.close());

/** What the client throws for a refused Update: a ServiceError over the gRPC error, as @temporalio/client builds it. */
const refusedWith = (code: number, text: string) =>
  new ServiceError('Failed to update workflow', { cause: Object.assign(new Error(`${code} ${text}`), { code, details: text }) });

test('FAILED_PRECONDITION from Temporal (a workflow task in failed state) is a 503 naming why', () => {
  const mapped = unavailableFrom(refusedWith(9, 'FAILED_PRECONDITION: Unable to perform workflow execution update due to Workflow Task in failed state.'));
  expect(mapped).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503, details: { reason: 'the instance workflow is recovering from a failed or timed-out workflow task' } });
  expect(unavailableFrom(refusedWith(3, 'INVALID_ARGUMENT: bad request'))).toBeUndefined();
});

test('an Update Temporal rejects unprocessed is sent again, at most four times more; still rejected, it is a 503 naming why', async () => {
  const unprocessed: WorkflowStartUpdateOutput = { updateId: 'u', workflowRunId: 'r', outcome: { failure: { message: 'not processed', applicationFailureInfo: { type: unprocessedUpdateType } } } };
  const answered: WorkflowStartUpdateOutput = { updateId: 'u', workflowRunId: 'r', outcome: { success: { payloads: [] } } };
  const input = { updateName: 'advance' } as WorkflowStartUpdateInput;
  const interceptor = new ResendUnprocessedUpdates();
  const sent: WorkflowStartUpdateInput[] = [];
  const answers = [unprocessed, unprocessed, answered];
  expect(await interceptor.startUpdate(input, async (i) => (sent.push(i), answers.shift()!))).toBe(answered);
  expect(sent).toEqual([input, input, input]);
  let sends = 0;
  expect(await interceptor.startUpdate(input, async () => (sends++, unprocessed))).toBe(unprocessed);
  expect(sends).toBe(5);
  // Any other outcome, a refusal included, is answered as it came.
  const refused: WorkflowStartUpdateOutput = { ...unprocessed, outcome: { failure: { message: 'no', applicationFailureInfo: { type: 'INVALID_TRANSITION' } } } };
  sends = 0;
  expect(await interceptor.startUpdate(input, async () => (sends++, refused))).toBe(refused);
  expect(sends).toBe(1);

  const rejected = new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ message: 'not processed', type: unprocessedUpdateType, nonRetryable: true }));
  expect(unavailableFrom(rejected)).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503, details: { reason: 'the instance workflow did not take the command' } });
});

/** POSTs to `api` as the admin, with an Idempotency-Key. */
async function post(api: SecondApi, route: string, body: unknown, key: string) {
  const res = await fetch(`${api.url}${route}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

test('a command to a workflow whose task timed out on a hung worker answers 503, then succeeds under the same key once a worker is back', async () => {
  const taskQueue = `wft-failed-${Date.now()}`;
  let hung: ChildWorker | undefined = childWorker(h.env.databaseUrl, taskQueue);
  let back: ChildWorker | undefined;
  const api = await h.apiWith({ HERA_TASK_QUEUE: taskQueue, HERA_COMMAND_TIMEOUT_MS: '2000' });
  try {
    await hung.running;
    await pollersOn(h.system.services.temporal, taskQueue);
    const started = await post(api, '/api/v1/workflows', { definition_code: 'LEAVE_APPROVAL', context: { days: 1 } }, `wft-start-${taskQueue}`);
    expect(started.status).toBe(201);

    // The worker stops answering but keeps its polls open: it takes the next workflow task and never completes it,
    // so the task times out (10 s) and goes to the hung worker again, twice: from the third attempt Temporal
    // refuses Updates outright (FAILED_PRECONDITION) until some worker completes the task.
    hung.signal('SIGSTOP');
    const pause = () => post(api, `/api/v1/workflows/${started.body.instance_id}/pause`, { reason: 'audit' }, `wft-pause-${taskQueue}`);
    const seen: Array<{ status: number; reason?: string }> = [];
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const answer = await pause();
      seen.push({ status: answer.status, reason: answer.body.error?.details?.reason });
      if (answer.status !== 503 || answer.body.error.details.reason === 'the instance workflow is recovering from a failed or timed-out workflow task') break;
    }
    expect(seen.filter((s) => s.status !== 503)).toEqual([]);
    expect(seen.at(-1)).toEqual({ status: 503, reason: 'the instance workflow is recovering from a failed or timed-out workflow task' });

    // A worker comes back (the hung one gone): the client's retry under the same key goes through.
    await hung.kill();
    hung = undefined;
    back = childWorker(h.env.databaseUrl, taskQueue);
    await back.running;
    // A refusal answers at once, so the client's retries are bounded by time, as a real client's are.
    const retryUntil = Date.now() + 45_000;
    let retried = await pause();
    while (retried.status === 503 && Date.now() < retryUntil) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      retried = await pause();
    }
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ instance_id: started.body.instance_id, paused: true });
  } finally {
    await api.close();
    await hung?.kill();
    await back?.kill();
  }
}, 150_000);
