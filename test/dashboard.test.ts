import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { eventually } from './support/eventually';
import { startHarness, type Harness, type Member, type SecondApi } from './support/harness';

// The operations dashboard in a real browser (Debian's chromium, as test/temporalUi.test.ts): an admin signs in
// with the keyboard, every tile shows what GET /api/v1/metrics/workflows answers the same token, each link filters
// the Temporal UI (the query is run against Temporal too) or the API, and the page refreshes by itself.
// The screenshot goes to test-artifacts/dashboard/ (docs/dashboard.png is a copy of one).

const artifacts = path.resolve(__dirname, '../test-artifacts/dashboard');
const chromiumPath = '/usr/bin/chromium';
const uiUrl = 'http://temporal-ui.example:8233';

let h: Harness;
let admin: Member;
let api: SecondApi;
let browser: Browser;
let page: Page;
let pausedId: string;
let receiver: Server;
/** Script errors and CSP violations the page met. */
const pageProblems: string[] = [];

const call = async (method: 'GET' | 'POST', route: string, body?: unknown) => {
  const res = await h.request(method, route, { token: admin.token, body });
  if (res.status >= 300) throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
};
const metrics = () => call('GET', '/api/v1/metrics/workflows');
const start = async (code = 'DASHBOARD_FLOW') => (await call('POST', '/api/v1/workflows', { definition_code: code })).instance_id as string;

/** The Temporal UI's list of the caller's workflows matching `conditions`. */
function temporalList(conditions: string[]): string {
  const namespace = api.system.services.config.TEMPORAL_NAMESPACE;
  const query = [`HeraOrganizationId="${admin.organizationId}"`, ...conditions].join(' AND ');
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(query)}`;
}
const queryOf = (href: string) => new URL(href).searchParams.get('query')!;
const workflowCount = async (href: string) => Number((await api.system.services.temporal.workflow.count(queryOf(href))).count);

const tileText = (metric: string) => page.locator(`[data-metric="${metric}"]`).innerText();
const tileLink = (metric: string, kind: 'temporal' | 'api', index = 0) =>
  page.locator(`[data-tile="${metric}"] a[data-link="${kind}"]`).nth(index).getAttribute('href');

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  h = await startHarness();
  admin = await h.member((await h.organization()).id, ['admin', 'manager', 'user']);
  api = await h.apiWith({ HERA_TEMPORAL_UI_URL: uiUrl });

  // A small definition and a handful of instances, so that no number is a plain zero: its webhook fails for good
  // (a receiver answering 500, one attempt); DASHBOARD_LATE's 2-second SLA breaches.
  receiver = createServer((_req, res) => res.writeHead(500).end());
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  for (const [code, slaHours] of [['DASHBOARD_FLOW', 8], ['DASHBOARD_LATE', 2 / 3600]] as const) {
    await call('POST', '/api/v1/definitions', {
      code,
      states: ['OPEN', 'REVIEW', 'DONE'],
      sla_hours: slaHours,
      transitions: [
        { from: 'OPEN', to: 'REVIEW', by: ['user'], effects: [{ code: 'HERA.UNIV.WF.EFFECT.WEBHOOK.v1', with: { url } }] },
        { from: 'REVIEW', to: 'DONE', by: ['manager'] },
      ],
      tasks: [{ on_enter: 'REVIEW', title: 'Review', assignee_role: 'manager', due_in: 'P1D', priority: 'high' }],
      effect_retry: { max_attempts: 1, initial_interval: 'PT0.1S' },
    });
  }
  const [, reviewed, done, paused, cancelled, withTask] = await Promise.all(Array.from({ length: 6 }, () => start()));
  await start('DASHBOARD_LATE');
  await call('POST', `/api/v1/workflows/${reviewed}/advance`, { to_state: 'REVIEW' });
  await call('POST', `/api/v1/workflows/${done}/advance`, { to_state: 'REVIEW' });
  // Its review task, completed, takes it to DONE.
  const [task] = (await call('GET', `/api/v1/tasks?instance_id=${done}`)).tasks;
  await call('POST', `/api/v1/tasks/${task.task_id}/claim`);
  await call('POST', `/api/v1/tasks/${task.task_id}/complete`, { outcome: 'approved', advance_workflow: { to_state: 'DONE' } });
  await call('POST', `/api/v1/workflows/${paused}/pause`, { reason: 'waiting for the customer' });
  await call('POST', `/api/v1/workflows/${cancelled}/cancel`, { reason: 'duplicate request' });
  await call('POST', `/api/v1/workflows/${withTask}/tasks`, { title: 'Call back', assignee_role: 'user', priority: 'low' });
  await call('POST', '/api/v1/scheduler/run', {});
  pausedId = paused;
  // The breach and the failed webhooks are recorded in the background.
  await eventually(async () => expect(await metrics()).toMatchObject({ overdue_instances: 1, effects_failed: 2, completed_instances: 1, cancelled_instances: 1 }));

  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  page.on('pageerror', (error) => pageProblems.push(error.message));
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) pageProblems.push(message.text());
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await h?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

test('the page and its files are served under a strict CSP; config.json needs a token and names its organization', async () => {
  const html = await fetch(`${api.url}/dashboard`);
  expect(html.status).toBe(200);
  expect(html.headers.get('content-type')).toMatch(/^text\/html/);
  expect(html.headers.get('content-security-policy')).toBe(
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
  );
  const body = await html.text();
  expect(body).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
  for (const file of ['dashboard.js', 'dashboard.css', 'uPlot.iife.min.js', 'uPlot.min.css']) {
    const res = await fetch(`${api.url}/dashboard/${file}`);
    expect([file, res.status]).toEqual([file, 200]);
  }
  expect((await fetch(`${api.url}/dashboard/config.json`)).status).toBe(401);
  const config = await fetch(`${api.url}/dashboard/config.json`, { headers: { authorization: `Bearer ${admin.token}` } });
  expect(await config.json()).toEqual({
    organization_id: admin.organizationId,
    temporal_ui_url: uiUrl,
    temporal_namespace: api.system.services.config.TEMPORAL_NAMESPACE,
    sweep_schedule_id: 'hera-wf-sweep',
  });
});

test('a refused token shows why; the keyboard signs in: Tab reaches the button with a visible focus ring, Enter in the token field signs in', async () => {
  await page.goto(`${api.url}/dashboard`);
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => (globalThis as any).document.activeElement?.id)).toBe('token');
  await page.keyboard.type('not-a-token');
  await page.keyboard.press('Enter');
  await expect(page.locator('#sign-in-error').innerText()).resolves.toMatch(/^Sign-in failed: 401/);

  await page.keyboard.press('Tab');
  const ring = await page.evaluate(() => {
    const { document, getComputedStyle } = (globalThis as any);
    const style = getComputedStyle(document.activeElement);
    return { text: document.activeElement.textContent, outline: style.outlineStyle, width: style.outlineWidth };
  });
  expect(ring).toEqual({ text: 'Sign in', outline: 'solid', width: '3px' });

  await page.locator('#token').fill('');
  await page.locator('#token').focus();
  await page.keyboard.type(admin.token);
  await page.keyboard.press('Enter');
  await page.locator('#updated-at').waitFor();
  expect(await page.locator('#organization').innerText()).toBe(admin.organizationId);
  expect(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('hera.dashboard.token'))).toBe(admin.token);
});

test('every tile shows the number the API answers the same token; the tables and the chart show the rest', async () => {
  const answer = await metrics();
  const counts = [
    'active_instances', 'paused_instances', 'overdue_instances', 'at_risk_instances', 'completed_instances',
    'cancelled_instances', 'failed_instances', 'tasks_open_total', 'tasks_overdue', 'effects_failed',
  ];
  for (const metric of counts) {
    expect(typeof answer[metric]).toBe('number');
    expect([metric, await tileText(metric)]).toEqual([metric, String(answer[metric])]);
  }
  expect(answer).toMatchObject({
    active_instances: 5, paused_instances: 1, overdue_instances: 1, at_risk_instances: 3, completed_instances: 1, cancelled_instances: 1,
    tasks_open_total: 2, effects_failed: 2,
  });
  expect(await tileText('sweep.runs_24h')).toBe(String(answer.sweep.runs_24h));
  expect(answer.sweep.runs_24h).toBeGreaterThanOrEqual(1);
  expect(await tileText('sweep.last_duration_ms')).toBe(`${answer.sweep.last_duration_ms} ms`);
  expect(await page.locator('[data-metric="sweep.last_run_at"] time').getAttribute('datetime')).toBe(answer.sweep.last_run_at);

  // One table row per row of the answer, in its order.
  const rows = (table: string) => page.locator(`#${table} tbody tr`).evaluateAll((trs) => trs.map((tr) => [...tr.children].slice(0, -1).map((c: any) => c.innerText)));
  expect(await rows('by-state')).toEqual(
    answer.instances.map((r: any) => [r.definition_code, r.current_state, r.status, String(r.count), String(r.paused), String(r.overdue)]),
  );
  expect(await rows('tasks-open')).toEqual(answer.tasks_open.map((r: any) => [r.assignee_role, r.priority, String(r.count)]));
  expect(answer.tasks_open).toEqual(expect.arrayContaining([{ assignee_role: 'manager', priority: 'high', count: 1 }]));
  expect((await rows('time-in-state')).map((r) => r.slice(0, 2))).toEqual(answer.time_in_state.map((r: any) => [r.definition_code, r.state]));
  expect(answer.time_in_state.length).toBeGreaterThanOrEqual(1);

  expect(await page.locator('#throughput-chart canvas').count()).toBeGreaterThanOrEqual(1);
  const started = answer.throughput.reduce((sum: number, b: any) => sum + b.started, 0);
  expect(started).toBe(7);
  expect(await page.locator('#throughput-caption').innerText()).toContain(`48 hours: ${started} started`);
});

test('tiles and rows link into the Temporal UI with the matching search attributes (the queries Temporal runs count the same) and into the API', async () => {
  const answer = await metrics();
  const running = 'ExecutionStatus="Running"';
  expect(await tileLink('active_instances', 'temporal')).toBe(temporalList([running]));
  expect(await tileLink('paused_instances', 'temporal')).toBe(temporalList([running, 'HeraPaused=true']));
  expect(await tileLink('completed_instances', 'temporal')).toBe(temporalList(['ExecutionStatus="Completed"']));
  expect(queryOf((await tileLink('overdue_instances', 'temporal'))!)).toMatch(
    new RegExp(`^HeraOrganizationId="${admin.organizationId}" AND ExecutionStatus="Running" AND HeraPaused=false AND HeraSlaAt < "[0-9T:.Z-]+"$`),
  );
  const atRisk = (await tileLink('at_risk_instances', 'temporal'))!;
  expect(queryOf(atRisk)).toContain('HeraPaused=false AND HeraSlaAt >= "');
  // Temporal answers the page's queries with the counts the API gives.
  await eventually(async () => {
    expect(await workflowCount((await tileLink('active_instances', 'temporal'))!)).toBe(answer.active_instances);
    expect(await workflowCount((await tileLink('paused_instances', 'temporal'))!)).toBe(answer.paused_instances);
    expect(await workflowCount(atRisk)).toBe(answer.at_risk_instances);
    expect(await workflowCount((await tileLink('failed_instances', 'temporal'))!)).toBe(answer.failed_instances);
    expect(await workflowCount((await tileLink('completed_instances', 'temporal'))!)).toBe(answer.completed_instances + answer.cancelled_instances);
  });

  expect(await tileLink('paused_instances', 'api')).toBe('/api/v1/workflows?paused=true');
  expect(await tileLink('overdue_instances', 'api')).toBe('/api/v1/workflows?overdue=true&paused=false');
  expect(await tileLink('tasks_overdue', 'api')).toBe('/api/v1/tasks?overdue=true');
  expect(await tileLink('effects_failed', 'api')).toBe('/api/v1/workflows?has_failed_effects=true');
  expect(await tileLink('sweep.runs_24h', 'temporal')).toBe(`${uiUrl}/namespaces/${encodeURIComponent(api.system.services.config.TEMPORAL_NAMESPACE)}/schedules/hera-wf-sweep`);

  const review = page.locator('#by-state tbody tr', { hasText: 'REVIEW' });
  expect(await review.locator('a[data-link="temporal"]').getAttribute('href')).toBe(
    temporalList([running, 'HeraDefinitionCode="DASHBOARD_FLOW"', 'HeraState="REVIEW"']),
  );
  expect(await review.locator('a[data-link="api"]').getAttribute('href')).toBe('/api/v1/workflows?definition_code=DASHBOARD_FLOW&current_state=REVIEW');
  const managerTasks = page.locator('#tasks-open tbody tr', { hasText: 'manager' });
  expect(await managerTasks.locator('a[data-link="api"]').getAttribute('href')).toBe('/api/v1/tasks?assignee_role=manager&priority=high');

  // An API link opens the answer for the signed-in token in a dialog; Escape closes it.
  await page.locator('[data-tile="paused_instances"] a[data-link="api"]').click();
  await eventually(async () => expect(await page.locator('#api-view-body').innerText()).toContain(pausedId), 10_000);
  await page.keyboard.press('Escape');
  expect(await page.locator('#api-view').isVisible()).toBe(false);
});

test('readable on a 1366x768 screen: no sideways scrolling, text contrast at least 4.5:1', async () => {
  expect(await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)).toBeLessThanOrEqual(1366);
  const lowest = await page.evaluate(() => {
    // Inside the page: the tests compile without the DOM's types.
    const { document, getComputedStyle } = (globalThis as any);
    const channels = (color: string) => color.match(/[\d.]+/g)!.map(Number);
    const luminance = ([r, g, b]: number[]) => {
      const linear = (c: number) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
      return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
    };
    const background = (element: any): number[] => {
      for (let e = element; e; e = e.parentElement) {
        const c = channels(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || c[3] > 0) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const selectors = ['h1', '.subtitle', '.session p', 'h2', '.tile h3', '.tile .value', '.tile a', 'th', 'td', 'td a', 'figcaption', 'button', '.u-legend'];
    const ratios = selectors.flatMap((selector) =>
      [...document.querySelectorAll(selector)].filter((e: any) => e.offsetParent !== null).map((e: any) => {
        const [a, b] = [luminance(channels(getComputedStyle(e).color)), luminance(background(e))];
        return { selector, ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) };
      }),
    );
    return ratios.sort((x, y) => x.ratio - y.ratio)[0];
  });
  expect(lowest.ratio).toBeGreaterThanOrEqual(4.5);
  await page.evaluate(() => (globalThis as any).document.activeElement?.blur());
  await page.screenshot({ path: path.join(artifacts, 'dashboard.png'), fullPage: true });
});

test('every 10 s the page refreshes (a new instance shows within 12 s); a failed refresh shows a banner and keeps the numbers', async () => {
  const before = Number(await tileText('active_instances'));
  const updated = await page.locator('#updated-at').getAttribute('datetime');
  await start();
  await page.waitForFunction((expected) => (globalThis as any).document.querySelector('[data-metric="active_instances"]')?.textContent === expected, String(before + 1), { timeout: 12_000 });
  expect(await page.locator('#updated-at').getAttribute('datetime')).not.toBe(updated);

  await page.route('**/api/v1/metrics/workflows', (route) =>
    route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'DATABASE_UNAVAILABLE', message: 'the database is not answering' } }) }),
  );
  await page.getByRole('button', { name: 'Refresh now' }).click();
  const banner = page.getByRole('alert').filter({ hasText: 'Refresh failed' });
  await banner.waitFor();
  expect(await banner.innerText()).toMatch(/^Refresh failed at [\d:]+: 503 DATABASE_UNAVAILABLE: the database is not answering\. Showing the numbers of [\d:]+\.$/);
  expect(await tileText('active_instances')).toBe(String(before + 1));
  await page.unroute('**/api/v1/metrics/workflows');
  await page.getByRole('button', { name: 'Refresh now' }).click();
  await banner.waitFor({ state: 'hidden' });
}, 60_000);

test('a reload keeps the session (sessionStorage of the tab); Sign out forgets the token and shows the sign-in form', async () => {
  await page.reload();
  await page.locator('#updated-at').waitFor();
  expect(await tileText('active_instances')).toBe(String((await metrics()).active_instances));
  await page.getByRole('button', { name: 'Sign out' }).click();
  expect(await page.locator('#token').isVisible()).toBe(true);
  expect(await page.locator('#board').isVisible()).toBe(false);
  expect(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('hera.dashboard.token'))).toBeNull();
  await page.reload();
  expect(await page.locator('#token').isVisible()).toBe(true);
});

test('the page met no script error and no CSP violation on the way', () => {
  expect(pageProblems).toEqual([]);
});
