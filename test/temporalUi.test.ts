import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startDevServer, type DevServer } from '../src/temporal/devServer';
import { freePort } from '../src/net';
import { instanceWorkflowId } from '../src/temporal/ids';
import { ensureSweepSchedule, sweepScheduleId } from '../src/temporal/schedule';
import { signalDescriptions } from '../src/workflows/instance/descriptions';
import { startHarness, type Harness, type Member, type SecondApi } from './support/harness';
import { childWorker, pollersOn, type ChildWorker } from './support/worker';

// The Temporal UI of a running system, in a real browser (Debian's chromium; scripts/test.sh installs it): an
// operator filters the paused instances, finds one by its summary and reads its current details. The suite's
// shared dev server is headless, so this file starts one with the UI, a worker and an API of its own.
// Screenshots go to test-artifacts/temporal-ui/.

const artifacts = path.resolve(__dirname, '../test-artifacts/temporal-ui');
const chromiumPath = '/usr/bin/chromium';

/** The answer of the query the UI sends for its dialogs (the SDK's built-in `__temporal_workflow_metadata`). */
interface Handler {
  name: string;
  description?: string;
}
interface WorkflowMetadata {
  definition: { signalDefinitions: Handler[]; updateDefinitions: Handler[]; queryDefinitions: Handler[] };
  currentDetails: string;
}

let h: Harness;
let admin: Member;
let server: DevServer;
let worker: ChildWorker;
let api: SecondApi;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  h = await startHarness();
  admin = await h.member((await h.organization()).id, ['admin', 'system', 'user']);
  server = await startDevServer({ cliPath: process.env.TEMPORAL_CLI!, port: await freePort(), uiPort: await freePort() });
  const taskQueue = `temporal-ui-${Date.now()}`;
  worker = childWorker(h.env.databaseUrl, taskQueue, { TEMPORAL_ADDRESS: server.address });
  await worker.running;
  api = await h.apiWith({ TEMPORAL_ADDRESS: server.address, HERA_TASK_QUEUE: taskQueue });
  await pollersOn(api.system.services.temporal, taskQueue);
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await worker?.kill();
  await server?.stop();
  await h?.close();
});

/** Loads `url` until `text` shows (the UI's list reads visibility, which trails the workflow by a moment). */
async function openUntilShown(page: Page, url: string, text: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    await page.goto(url);
    try {
      await page.getByText(text).first().waitFor({ timeout: 5_000 });
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        await page.screenshot({ path: path.join(artifacts, 'not-shown.png'), fullPage: true });
        throw error;
      }
    }
  }
}

/** Waits until every one of `texts` shows in the page or one of its frames. */
async function shownInFrames(page: Page, texts: string[]): Promise<void> {
  let missing = texts;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const shown = (await Promise.all(page.frames().map((frame) => frame.locator('body').innerText().catch(() => '')))).join('\n').replace(/\s+/g, ' ');
    missing = texts.filter((text) => !shown.includes(text));
    if (missing.length === 0) return;
    await page.waitForTimeout(500);
  }
  throw new Error(`the Temporal UI does not show ${JSON.stringify(missing)}`);
}

test('the Temporal UI lists the paused instance under HeraPaused = true; its page shows its summary, its details, its state and why and by whom it is paused; Send Signal describes each signal', async () => {
  const started = await api.call(admin, '/api/v1/workflows', {
    definition_code: 'TEST_ADMIN_WORKFLOW',
    initial_state: 'ACTIVE',
    subject_ref: { entity_id: 'emp_7', entity_type: 'leave_request' },
  });
  expect(started.status).toBe(201);
  const id = started.body.instance_id as string;
  const paused = await api.call(admin, `/api/v1/workflows/${id}/pause`, { reason: 'waiting for the customer' });
  expect(paused.status).toBe(200);

  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const workflowId = instanceWorkflowId(admin.organizationId, id);
  const list = `${server.uiUrl}/namespaces/default/workflows?query=${encodeURIComponent('HeraPaused = true')}`;
  await openUntilShown(page, list, workflowId);
  await page.screenshot({ path: path.join(artifacts, 'paused-instances.png'), fullPage: true });

  // The row opens the instance's page; its User Metadata tab shows the summary, the static details and the
  // current details the workflow keeps (the UI renders each Markdown block in a frame of its own).
  await page.getByText(workflowId).first().click();
  await page.getByText('User Metadata', { exact: true }).click();
  try {
    await shownInFrames(page, [
      'TEST_ADMIN_WORKFLOW · emp_7 (leave_request)',
      `GET /api/v1/workflows/${id}`,
      'State: ACTIVE (active)',
      `Paused since ${paused.body.paused_at} by ${admin.userId}: waiting for the customer`,
      `Owner: user ${admin.userId}`,
      // The timeline's activities, by their summaries.
      'persist start in ACTIVE',
      'persist HERA.UNIV.WF.INSTANCE.PAUSE.V1 in ACTIVE',
    ]);
  } finally {
    await page.screenshot({ path: path.join(artifacts, 'paused-instance.png'), fullPage: true });
  }

  // The Send Signal dialog lists each signal with what it does and a payload to type.
  await page.getByRole('button', { name: /More Actions/ }).click();
  await page.getByRole('menuitem', { name: 'Send a Signal' }).click();
  await page.getByTestId('signal-select-button').filter({ visible: true }).click();
  const options = page.getByRole('option').filter({ visible: true });
  await options.first().waitFor();
  await page.screenshot({ path: path.join(artifacts, 'send-signal.png'), fullPage: true });
  const shown = (await options.allInnerTexts()).map((text) => text.replace(/\s+/g, ' '));
  for (const [name, description] of Object.entries(signalDescriptions)) expect(shown).toContain(`${name} ${description}`);
  await page.close();
}, 120_000);

test('every signal, Update and query of the instance is described for the UI, each signal with an example payload; the sweep schedule is summarized', async () => {
  const started = await api.call(admin, '/api/v1/workflows', { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE' });
  expect(started.status).toBe(201);
  const client = api.system.services.temporal;
  const handle = client.workflow.getHandle(instanceWorkflowId(admin.organizationId, started.body.instance_id));
  // What the UI asks the workflow for its Send Signal, Update and Query dialogs.
  const metadata = await handle.query<WorkflowMetadata>('__temporal_workflow_metadata');
  const own = (handlers: Handler[]) => handlers.filter((d) => !d.name.startsWith('__'));
  const { signalDefinitions, updateDefinitions, queryDefinitions } = metadata.definition;
  expect(own(signalDefinitions).map((d) => d.name).sort()).toEqual(['pause', 'reassign', 'resume']);
  for (const signal of own(signalDefinitions)) {
    const example = /Payload: (\{.*\})$/.exec(signal.description ?? '');
    expect([signal.name, example && JSON.parse(example[1])]).toEqual([signal.name, expect.objectContaining({ actor: expect.any(String) })]);
  }
  const undescribed = [...own(updateDefinitions), ...own(queryDefinitions)].filter((d) => !d.description);
  expect(undescribed).toEqual([]);
  expect(own(updateDefinitions)).toHaveLength(20);
  expect(metadata.currentDetails).toContain('**State:** ACTIVE (active)');
  // No subject: the summary is the definition code and the instance id.
  const described = await handle.describe();
  expect(await described.staticSummary()).toBe(`TEST_ADMIN_WORKFLOW · ${started.body.instance_id}`);

  await ensureSweepSchedule(client, { taskQueue: 'temporal-ui-schedule', interval: '5m' });
  const schedule = await client.schedule.getHandle(sweepScheduleId).describe();
  expect(schedule.action).toMatchObject({ type: 'startWorkflow', staticSummary: 'SLA sweep · every 5m' });
});
