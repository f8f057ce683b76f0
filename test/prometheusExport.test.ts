import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../src/net';
import { eventually } from './support/eventually';
import { startHarness, type Harness, type SecondApi } from './support/harness';
import { scrape, valueOf } from './support/prometheus';
import { childWorker, type ChildWorker } from './support/worker';

let h: Harness;
let api: SecondApi;
let worker: ChildWorker;
const queue = `sdk-metrics-${randomUUID()}`;
let workerUrl: string;
let sdkUrl: string;

/** A worker of its own with both metrics ports, and an API whose instances run on it. */
beforeAll(async () => {
  h = await startHarness();
  const [workerPort, sdkPort] = [await freePort(), await freePort()];
  [workerUrl, sdkUrl] = [`http://127.0.0.1:${workerPort}/metrics`, `http://127.0.0.1:${sdkPort}/metrics`];
  worker = childWorker(h.env.databaseUrl, queue, { HERA_WORKER_METRICS_PORT: String(workerPort), HERA_WORKER_SDK_METRICS_PORT: String(sdkPort) });
  api = await h.apiWith({ HERA_TASK_QUEUE: queue });
  await worker.running;
  // Workflow tasks, activities and, with the second command, a workflow found in the worker's sticky cache.
  const org = (await h.organization()).id;
  const admin = await h.member(org, ['admin', 'user']);
  const started = await api.call(admin, '/api/v1/workflows', { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE' });
  expect(started.status).toBe(201);
  expect((await api.call(admin, `/api/v1/workflows/${started.body.instance_id}/advance`, { to_state: 'COMPLETED' })).status).toBe(200);
}, 120_000);
afterAll(async () => {
  await worker?.kill();
  await api?.close();
  await h.close();
});

test('a worker with HERA_WORKER_SDK_METRICS_PORT serves the Temporal SDK’s metrics of its task queue, durations in seconds', async () => {
  const sdk = await eventually(async () => {
    const now = await scrape(sdkUrl);
    expect(valueOf(now, 'temporal_workflow_task_execution_latency_count', { task_queue: queue })).toBeGreaterThanOrEqual(2);
    return now;
  }, 30_000, 500);
  expect(valueOf(sdk, 'temporal_workflow_task_schedule_to_start_latency_count', { task_queue: queue })).toBeGreaterThanOrEqual(2);
  expect(sdk.samples.some((s) => s.name === 'temporal_activity_execution_latency_count' && s.labels.task_queue === queue && s.value > 0)).toBe(true);
  expect(sdk.samples.some((s) => s.name === 'temporal_request' && s.value > 0)).toBe(true);
  // In seconds: a workflow task takes more than a millisecond and far less than a second (in milliseconds the mean would be above 1).
  const mean = valueOf(sdk, 'temporal_workflow_task_execution_latency_sum', { task_queue: queue })! / valueOf(sdk, 'temporal_workflow_task_execution_latency_count', { task_queue: queue })!;
  expect(mean).toBeLessThan(1);
  // The SDK's own server, not HERA's registry: the worker's /metrics carries HERA's series only.
  expect([...(await scrape(workerUrl)).names].filter((name) => name.startsWith('temporal_'))).toEqual([]);
});

/** The metric names a PromQL expression reads: its identifiers less functions, aggregations' label lists, label matchers, ranges and strings. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const keywords = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'inf', 'nan']);
  return [...bare.matchAll(/(?<![\w$:])([a-zA-Z_:][\w:]*)\b(?!\s*\()/g)].map((m) => m[1]).filter((name) => !keywords.has(name));
}

test('the Grafana dashboard imports with a Prometheus data source, and every metric its queries read is one the API, a worker or its SDK exports', async () => {
  const dashboard = JSON.parse(readFileSync(path.resolve(__dirname, '../docs/grafana/hera.json'), 'utf8'));
  expect(dashboard.__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' })]);
  const panels: any[] = dashboard.panels;
  expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
  const queried = panels.filter((p) => p.type !== 'row');
  for (const panel of queried) {
    expect({ panel: panel.title, datasource: panel.datasource }).toEqual({ panel: panel.title, datasource: { type: 'prometheus', uid: '${DS_PROMETHEUS}' } });
    expect(panel.targets.length).toBeGreaterThan(0);
  }
  const expressions = [
    ...queried.flatMap((p) => p.targets.map((t: { expr: string }) => t.expr)),
    ...dashboard.templating.list.map((v: { query: { query: string } }) => v.query.query.replace(/^label_values\((.*), \w+\)$/, '$1')),
  ];
  const used = new Set(expressions.flatMap(metricNames));
  // Each family the dashboard shows is among them (the extraction found what it should).
  for (const family of [/^hera_instances$/, /^hera_tasks_open$/, /^hera_http_/, /^hera_sweep_runs_total$/, /^temporal_workflow_task_schedule_to_start_latency_bucket$/]) {
    expect([...used].some((name) => family.test(name))).toBe(true);
  }
  // The SDK declares a metric once it has been recorded: the instance's commands above record them.
  await eventually(async () => {
    const exported = new Set<string>();
    for (const url of [`${h.api.url}/metrics`, workerUrl, sdkUrl]) for (const name of (await scrape(url)).names) exported.add(name);
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
  }, 30_000, 500);
});
