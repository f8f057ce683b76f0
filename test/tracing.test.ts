import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { loadConfig } from '../src/config';
import { dbOptions, openDb, type Db } from '../src/db/pool';
import { statementName } from '../src/db/tracedClient';
import { instanceWorkflowId } from '../src/temporal/ids';
import { workflowSpanSinks } from '../src/temporal/tracing';
import { correlationKey, flushTracing, requestContext, startTracing, stopTracing, traceLogFields } from '../src/tracing';
import { createHeraWorker, type HeraWorker } from '../src/worker';
import { eventually } from './support/eventually';
import { startHarness, type Harness, type Member, type SecondApi } from './support/harness';
import { childWorker, pollersOn } from './support/worker';

/**
 * The spans land in memory here: this process turns tracing on with an in-memory exporter, then runs an API and a
 * worker (on a task queue of its own) built with it. The run's shared API and worker were built without tracing.
 * The last test runs `hera worker` as a process of its own, exporting over OTLP/HTTP to a collector in this one.
 */
const exporter = new InMemorySpanExporter();
let h: Harness;
let member: Member;
let traced: SecondApi;
let workerDb: Db;
let worker: HeraWorker;
let workerRun: Promise<void>;

beforeAll(async () => {
  h = await startHarness();
  member = await h.member((await h.organization()).id, ['admin', 'user', 'employee']);
  // The run's settings name no OTLP endpoint: tracing stays off.
  expect(startTracing(h.config, { service: 'hera-test' })).toBe(false);
  expect(startTracing(h.config, { service: 'hera-test', exporter })).toBe(true);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const taskQueue = `tracing-${Date.now()}`;
  const config = loadConfig({ ...process.env, DATABASE_URL: h.env.databaseUrl, HERA_TASK_QUEUE: taskQueue, LOG_LEVEL: 'silent' });
  workerDb = await openDb(dbOptions(config, h.env.appDatabaseUrl));
  worker = await createHeraWorker({ config, db: workerDb });
  workerRun = worker.run();
  await pollersOn(h.system.services.temporal, taskQueue);
  traced = await h.apiWith({ HERA_TASK_QUEUE: taskQueue, HERA_COMMAND_TIMEOUT_MS: '60000' });
}, 120_000);

afterAll(async () => {
  await traced?.close();
  if (worker?.worker.getState() === 'RUNNING') worker.worker.shutdown();
  await workerRun;
  await workerDb?.close();
  await h.close();
  await stopTracing();
});

async function post(url: string, route: string, body: unknown, correlationId: string) {
  const res = await fetch(`${url}${route}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${member.token}`, 'content-type': 'application/json', 'x-correlation-id': correlationId },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const spanId = (span: ReadableSpan) => span.spanContext().spanId;

/** The spans of the trace whose request carried `correlationId`, once its workflow and activity spans are in. */
async function traceOf(correlationId: string, route: string, clientSpan: string, handlerSpan: string): Promise<ReadableSpan[]> {
  return eventually(async () => {
    await flushTracing();
    const finished = exporter.getFinishedSpans();
    const request = finished.find((s) => s.kind === SpanKind.SERVER && s.attributes[correlationKey] === correlationId);
    expect(request?.name).toBe(`POST ${route}`);
    const spans = finished.filter((s) => s.spanContext().traceId === request!.spanContext().traceId);
    const names = spans.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining([clientSpan, handlerSpan]));
    expect(names.some((n) => n.startsWith('RunActivity:'))).toBe(true);
    return spans;
  });
}

/**
 * What both commands' traces hold: each span under the one before it, from the request down to a statement.
 * Answers the names of the API's own statements (those not in an activity).
 */
function expectOneTrace(spans: ReadableSpan[], correlationId: string, smartCode: string, clientSpan: string, handlerSpan: string): string[] {
  const byName = (name: string) => spans.find((s) => s.name === name);
  const request = spans.find((s) => s.kind === SpanKind.SERVER)!;
  const procedure = byName(`runProcedure ${smartCode}`);
  expect(procedure?.parentSpanId).toBe(spanId(request));
  expect(procedure?.attributes).toMatchObject({ 'hera.smart_code': smartCode, [correlationKey]: correlationId, 'hera.organization_id': member.organizationId });
  expect(request.attributes).toMatchObject({ [correlationKey]: correlationId, 'http.response.status_code': expect.any(Number) });
  const client = byName(clientSpan)!;
  expect(client.parentSpanId).toBe(spanId(procedure!));
  expect(client.attributes[correlationKey]).toBe(correlationId);
  const handler = byName(handlerSpan)!;
  expect(handler.parentSpanId).toBe(spanId(client));
  // The workflow's spans name it by its flat info, not by its memo and search attributes.
  expect(handler.attributes).toMatchObject({ workflowId: client.attributes.temporalWorkflowId, workflowType: 'instanceWorkflow' });
  expect(handler.attributes.memo).toBeUndefined();
  // Each activity runs under its StartActivity span in the workflow, and carries the request's correlation id (baggage).
  const activities = spans.filter((s) => s.name.startsWith('RunActivity:'));
  for (const activity of activities) {
    expect(spans.find((s) => spanId(s) === activity.parentSpanId)?.name).toBe(activity.name.replace('RunActivity:', 'StartActivity:'));
    expect(activity.attributes[correlationKey]).toBe(correlationId);
  }
  // The activity's SQL: a statement span under it, named by verb and table, with no values.
  const activityIds = new Set(activities.map(spanId));
  const statements = spans.filter((s) => s.attributes['db.system'] === 'postgresql' && activityIds.has(s.parentSpanId!));
  expect(statements.length).toBeGreaterThan(0);
  expect(statements.map((s) => s.name)).toContain('begin');
  for (const statement of statements) expect(statement.kind).toBe(SpanKind.CLIENT);
  // Every span, in the API, the workflow and the activities, carries the request's correlation id.
  expect(spans.filter((s) => s.attributes[correlationKey] !== correlationId).map((s) => s.name)).toEqual([]);
  return spans.filter((s) => s.attributes['db.system'] === 'postgresql' && !activityIds.has(s.parentSpanId!)).map((s) => s.name);
}

test('a START and an ADVANCE are each one trace: request, runProcedure, Temporal call, workflow handler, activities, SQL', async () => {
  const startId = `start-${randomUUID()}`;
  const started = await post(traced.url, '/api/v1/workflows', { definition_code: 'LEAVE_APPROVAL', context: { days: 1 } }, startId);
  expect(started.status).toBe(201);
  const instanceId = started.body.instance_id as string;
  const startSpans = await traceOf(startId, '/api/v1/workflows', 'UpdateWithStartWorkflow:awaitCreated', 'HandleUpdate:awaitCreated');
  // The API's own statements are in the trace too: START reads the definition it pins.
  const apiStatements = expectOneTrace(startSpans, startId, 'HERA.UNIV.WF.START.V1', 'UpdateWithStartWorkflow:awaitCreated', 'HandleUpdate:awaitCreated');
  expect(apiStatements).toContain('select wf_definitions_view');
  expect(startSpans.find((s) => s.name === 'UpdateWithStartWorkflow:awaitCreated')?.attributes.temporalWorkflowId).toBe(instanceWorkflowId(member.organizationId, instanceId));

  const advanceId = `advance-${randomUUID()}`;
  const advanced = await post(traced.url, `/api/v1/workflows/${instanceId}/advance`, { to_state: 'SUBMITTED' }, advanceId);
  expect(advanced.status).toBe(200);
  const advanceSpans = await traceOf(advanceId, '/api/v1/workflows/:instance_id/advance', 'StartWorkflowUpdate:advance', 'HandleUpdate:advance');
  expectOneTrace(advanceSpans, advanceId, 'HERA.UNIV.WF.ADVANCE.V1', 'StartWorkflowUpdate:advance', 'HandleUpdate:advance');
  expect(advanceSpans[0].spanContext().traceId).not.toBe(startSpans[0].spanContext().traceId);

  // Probes and scrapes are not traced.
  expect((await fetch(`${traced.url}/healthz`)).status).toBe(200);
  await flushTracing();
  expect(exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER && !s.name.startsWith('POST /api/v1/'))).toEqual([]);

  // Its history, recorded with the trace headers, replays deterministically on the workers' bundle.
  const workflowId = instanceWorkflowId(member.organizationId, instanceId);
  const history = await h.system.services.temporal.workflow.getHandle(workflowId).fetchHistory();
  await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.HERA_WORKFLOW_BUNDLE! }, sinks: workflowSpanSinks() }, history, workflowId);
});

test('a log line inside a traced request carries its trace id, span id and correlation id', () => {
  const span = trace.getTracer('test').startSpan('request');
  const fields = context.with(requestContext(ROOT_CONTEXT, span, 'log-correlation'), traceLogFields);
  span.end();
  expect(fields).toEqual({ trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId, correlation_id: 'log-correlation' });
  expect(traceLogFields()).toEqual({});
});

test('a statement span is named by verb and first table or function, never by values', () => {
  expect(statementName("insert into universal_transactions (id, metadata) values ($1, '{}')")).toBe('insert universal_transactions');
  expect(statementName('select id from hera_sweep_organizations($1::uuid[]) as id')).toBe('select hera_sweep_organizations');
  expect(statementName('\n  update wf_tasks set status = $2 where id = $1')).toBe('update wf_tasks');
  expect(statementName("select set_config('hera.org_id', $1, true)")).toBe('select');
  expect(statementName('commit')).toBe('commit');
});

test('a malformed OTEL_EXPORTER_OTLP_ENDPOINT stops the process at start', () => {
  expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://collector:4318');
});

test('with tracing off (the API and worker built without it) nothing is exported', async () => {
  const startId = `untraced-start-${randomUUID()}`;
  const started = await post(h.api.url, '/api/v1/workflows', { definition_code: 'LEAVE_APPROVAL', context: { days: 1 } }, startId);
  expect(started.status).toBe(201);
  const instanceId = started.body.instance_id as string;
  const advanceId = `untraced-advance-${randomUUID()}`;
  expect((await post(h.api.url, `/api/v1/workflows/${instanceId}/advance`, { to_state: 'SUBMITTED' }, advanceId)).status).toBe(200);
  await flushTracing();
  const workflowId = instanceWorkflowId(member.organizationId, instanceId);
  const mentions = exporter
    .getFinishedSpans()
    .filter((s) => [startId, advanceId].includes(String(s.attributes[correlationKey])) || s.attributes.temporalWorkflowId === workflowId);
  expect(mentions).toEqual([]);
  // The traced API's spans are there all along: the exporter is listening.
  expect(exporter.getFinishedSpans().length).toBeGreaterThan(0);
});

test('`hera worker` with OTEL_EXPORTER_OTLP_ENDPOINT sends its spans there over OTLP/HTTP; its log lines on a request name it', async () => {
  const received: Array<{ path: string; body: string }> = [];
  const collector = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const taskQueue = `tracing-otlp-${Date.now()}`;
  const worker = childWorker(h.env.databaseUrl, taskQueue, { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}` });
  const api = await h.apiWith({ HERA_TASK_QUEUE: taskQueue, HERA_COMMAND_TIMEOUT_MS: '60000' });
  try {
    await worker.running;
    const correlationId = `otlp-${randomUUID()}`;
    const started = await post(api.url, '/api/v1/workflows', { definition_code: 'LEAVE_APPROVAL', context: { days: 1 } }, correlationId);
    expect(started.status).toBe(201);
    // The batch goes out within the processor's 5 s delay: the workflow's and the activity's spans, as OTLP JSON.
    await eventually(async () => {
      const sent = received.filter((r) => r.path === '/v1/traces').map((r) => r.body).join('\n');
      for (const name of ['HandleUpdate:awaitCreated', 'RunActivity:createInstanceRecord', 'insert universal_transactions', correlationId, 'hera-worker']) {
        expect(sent).toContain(name);
      }
    }, 30_000);

    // An activity's log line on a request's path (a log effect of the transition) carries its trace and correlation id.
    const code = `TRACED_LOG_${Date.now()}`;
    const registered = await post(api.url, '/api/v1/definitions', { code, states: ['OPEN', 'DONE'], transitions: [{ from: 'OPEN', to: 'DONE', by: ['user'], effects: ['HERA.UNIV.WF.EFFECT.LOG.v1'] }] }, `register-${randomUUID()}`);
    expect(registered.status).toBe(201);
    const opened = await post(api.url, '/api/v1/workflows', { definition_code: code }, `open-${randomUUID()}`);
    const advanceId = `logged-${randomUUID()}`;
    expect((await post(api.url, `/api/v1/workflows/${opened.body.instance_id}/advance`, { to_state: 'DONE', actor_role: 'user' }, advanceId)).status).toBe(200);
    const line = await eventually(async () => {
      const logged = worker.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).find((l) => l.msg === 'workflow effect' && l.instance_id === opened.body.instance_id);
      expect(logged).toBeDefined();
      return logged;
    }, 30_000);
    expect(line).toMatchObject({ correlation_id: advanceId, trace_id: expect.stringMatching(/^[0-9a-f]{32}$/), span_id: expect.stringMatching(/^[0-9a-f]{16}$/) });
  } finally {
    await api.close();
    await worker.kill();
    await new Promise((resolve) => collector.close(resolve));
  }
}, 120_000);
