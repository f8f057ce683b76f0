import net from 'node:net';
import { loadConfig } from '../src/config';
import { openSystem, startApi } from '../src/system';
import { startHarness, type Harness, type Member } from './support/harness';

let h: Harness;
let member: Member;

beforeAll(async () => {
  h = await startHarness();
  member = await h.member((await h.organization()).id, ['admin', 'user']);
});
afterAll(() => h.close());

const oneMegabyte = 1024 * 1024;

/** Sends only the head of a request (its body never follows) and answers the status line and body the server sends. */
function headOnly(url: string, head: string[]): Promise<{ status: number; headers: string; body: any }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.once('error', reject);
    socket.once('close', () => {
      const [headers, body] = text.split('\r\n\r\n');
      resolve({ status: Number(headers.split(' ')[1]), headers, body: JSON.parse(body) });
    });
    socket.write(`${head.join('\r\n')}\r\n\r\n`);
  });
}

describe('request bodies over 1 MB (413)', () => {
  test('a declared Content-Length over the limit is refused before the body is read, whatever its type and token', async () => {
    for (const authorization of [`Bearer ${member.token}`, null]) {
      const res = await headOnly(h.api.url, [
        'POST /api/v1/workflows HTTP/1.1',
        'Host: localhost',
        'Content-Type: application/octet-stream',
        `Content-Length: ${2 * oneMegabyte}`,
        ...(authorization ? [`Authorization: ${authorization}`] : []),
      ]);
      expect(res.status).toBe(413);
      expect(res.headers).toMatch(/^connection: close$/im);
      expect(res.body.error).toEqual({
        code: 'PAYLOAD_TOO_LARGE',
        message: `the body exceeds the limit of ${oneMegabyte} bytes (1 MB)`,
        details: { limit_bytes: oneMegabyte },
      });
    }
  });

  test('a chunked JSON body over the limit is refused by the parser with the same error', async () => {
    const json = JSON.stringify({ definition_code: 'TEST_ADMIN_WORKFLOW', context: { filler: 'x'.repeat(oneMegabyte + 1000) } });
    const body = new ReadableStream({
      start(controller) {
        for (let at = 0; at < json.length; at += 64 * 1024) controller.enqueue(new TextEncoder().encode(json.slice(at, at + 64 * 1024)));
        controller.close();
      },
    });
    const res = await fetch(`${h.api.url}/api/v1/workflows`, {
      method: 'POST',
      headers: { authorization: `Bearer ${member.token}`, 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { limit_bytes: oneMegabyte } });
  });
});

describe('per-organization rate limit (429)', () => {
  test('past the rate and its burst an organization gets 429 RATE_LIMITED with Retry-After; others and later calls pass', async () => {
    const api = await h.apiWith({ HERA_RATE_LIMIT_RPS: '2', HERA_RATE_LIMIT_BURST: '3' });
    try {
      const other = await h.member((await h.organization()).id, ['user']);
      const list = (who: Member) => fetch(`${api.url}/api/v1/workflows`, { headers: { authorization: `Bearer ${who.token}` } });
      const spike = await Promise.all(Array.from({ length: 6 }, () => list(member)));
      expect(spike.map((r) => r.status).sort()).toEqual([200, 200, 200, 429, 429, 429]);
      const refused = spike.find((r) => r.status === 429)!;
      const retryAfter = refused.headers.get('retry-after');
      expect(retryAfter).toMatch(/^[1-9]\d*$/);
      expect(((await refused.json()) as any).error).toMatchObject({
        code: 'RATE_LIMITED',
        details: { rate_per_second: 2, burst: 3, retry_after_seconds: Number(retryAfter) },
      });
      // Another organization has its own budget.
      expect((await list(other)).status).toBe(200);
      // After Retry-After the steady rate is there again.
      await new Promise((resolve) => setTimeout(resolve, Number(retryAfter) * 1000));
      expect((await list(member)).status).toBe(200);
    } finally {
      await api.close();
    }
  });

  test('HERA_RATE_LIMIT_RPS=0 turns the limit off; a burst below the rate stops the process naming it', async () => {
    const api = await h.apiWith({ HERA_RATE_LIMIT_RPS: '0' });
    try {
      const burst = await Promise.all(
        Array.from({ length: 30 }, () => fetch(`${api.url}/api/v1/definitions`, { headers: { authorization: `Bearer ${member.token}` } })),
      );
      expect(new Set(burst.map((r) => r.status))).toEqual(new Set([200]));
    } finally {
      await api.close();
    }
    expect(() => loadConfig({ HERA_RATE_LIMIT_RPS: '10', HERA_RATE_LIMIT_BURST: '5' })).toThrow(/HERA_RATE_LIMIT_BURST: at least HERA_RATE_LIMIT_RPS/);
  });
});

describe('readiness', () => {
  test('/readyz names the dependency that is down, never the driver’s message, host or credentials', async () => {
    expect(await h.request('GET', '/readyz')).toMatchObject({ status: 200, body: { status: 'ready' } });
    // The API's database sits behind a relay the test can cut: up at start (the pool checks its role), then gone.
    const target = new URL(h.env.appDatabaseUrl);
    const open = new Set<net.Socket>();
    const relay = net.createServer((client) => {
      const upstream = net.connect(Number(target.port), target.hostname);
      for (const socket of [client, upstream]) {
        open.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => [client, upstream].forEach((s) => s.destroy()));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const relayPort = (relay.address() as net.AddressInfo).port;
    const relayed = new URL(target);
    relayed.port = String(relayPort);
    const system = await openSystem(loadConfig({ ...process.env, LOG_LEVEL: 'silent' }), relayed.toString());
    relay.close();
    for (const socket of open) socket.destroy();
    const api = await startApi(h.config, system, 0);
    try {
      const res = await fetch(`${api.url}/readyz`);
      const text = await res.text();
      expect(res.status).toBe(503);
      expect(JSON.parse(text)).toEqual({
        error: { code: 'NOT_READY', message: 'not ready: database unavailable', details: { down: ['database'] } },
      });
      for (const leak of [decodeURIComponent(target.password), decodeURIComponent(target.username), String(relayPort), 'ECONNREFUSED', 'at ']) expect(text).not.toContain(leak);
    } finally {
      await api.close();
      await system.close();
    }
  });
});

describe('audit rows', () => {
  test('keep the validated input, capped; a refused body is kept as its field names and size, never its values', async () => {
    const org = member.organizationId;
    const started = await h.request('POST', '/api/v1/workflows', { token: member.token, body: { definition_code: 'TEST_ADMIN_WORKFLOW', initial_state: 'ACTIVE' } });
    expect(started.status).toBe(201);
    const id = started.body.instance_id;
    const pause = (body: unknown, correlationId: string) =>
      h.request('POST', `/api/v1/workflows/${id}/pause`, { token: member.token, body, headers: { 'X-Correlation-ID': correlationId } });
    const auditRows = async (correlationId: string) =>
      h.system.services.db.withOrg(org, async (sql) =>
        (await sql.query(`select metadata from universal_transactions where transaction_type = 'WF_AUDIT' and metadata->>'correlation_id' = $1`, [correlationId])).rows.map((r) => r.metadata),
      );

    const hostile = `${'A'.repeat(200_000)}<script>`;
    const refusedId = `audit-refused-${Date.now()}`;
    const refused = await pause({ reason: hostile, smuggled: { nested: hostile } }, refusedId);
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('VALIDATION_FAILED');
    const [refusedRow] = await auditRows(refusedId);
    expect(refusedRow).toMatchObject({ outcome: 'REFUSED', error_code: 'VALIDATION_FAILED', instance_id: id, reason: null });
    expect({ ...refusedRow.input, fields: [...refusedRow.input.fields].sort() }).toEqual({
      validated: false,
      fields: ['instance_id', 'reason', 'smuggled'],
      size_bytes: expect.any(Number),
    });
    expect(refusedRow.input.size_bytes).toBeGreaterThan(400_000);
    expect(JSON.stringify(refusedRow)).not.toContain('AAAA');

    const longReason = 'r'.repeat(900);
    const cut = `${'r'.repeat(500)}… (400 more characters)`;
    const acceptedId = `audit-accepted-${Date.now()}`;
    expect((await pause({ reason: longReason }, acceptedId)).status).toBe(200);
    const [acceptedRow] = await auditRows(acceptedId);
    expect(acceptedRow).toMatchObject({ outcome: 'SUCCESS', reason: cut, input: { instance_id: id, reason: cut } });
    expect(Object.keys(acceptedRow.input).sort()).toEqual(['instance_id', 'reason']);
  });
});
