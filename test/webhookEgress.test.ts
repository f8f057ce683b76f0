import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { eventually } from './support/eventually';
import { startHarness, type Harness, type Member } from './support/harness';
import { childWorker, pollersOn } from './support/worker';

const webhookCode = 'HERA.UNIV.WF.EFFECT.WEBHOOK.v1';

let h: Harness;
let admin: Member;
let receiver: http.Server;
let receiverPort: number;

interface Seen {
  headers: http.IncomingHttpHeaders;
  body: string;
}
/** What the receiver got, per path. */
const seen = new Map<string, Seen[]>();
/** Set once the receiver's endless answer was cut off by the client. */
let endlessClosed: Promise<void>;

beforeAll(async () => {
  h = await startHarness();
  admin = await h.member((await h.organization()).id, ['admin', 'user']);
  let onEndlessClosed: () => void;
  endlessClosed = new Promise((resolve) => (onEndlessClosed = resolve));
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const path = req.url ?? '';
      seen.set(path, [...(seen.get(path) ?? []), { headers: req.headers, body }]);
      if (path === '/redirect') return res.writeHead(302, { location: `http://127.0.0.1:${receiverPort}/internal` }).end();
      if (path === '/endless-gzip') {
        // A decompression bomb that never ends: zeros without end, gzipped (about a thousand to one).
        const zeros = new Readable({ read: () => void zeros.push(Buffer.alloc(64 * 1024)) });
        const gzip = zlib.createGzip();
        res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'application/json' });
        zeros.pipe(gzip).pipe(res);
        res.on('close', () => {
          zeros.destroy();
          gzip.destroy();
          onEndlessClosed();
        });
        return;
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverPort = (receiver.address() as AddressInfo).port;
});
afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
  await h.close();
});

const definitionBody = (code: string, url: string, maxAttempts: number) => ({
  code,
  states: ['OPEN', 'DONE'],
  transitions: [{ from: 'OPEN', to: 'DONE', by: ['user'], effects: [{ code: webhookCode, with: { url, timeout_ms: 5000 } }] }],
  effect_retry: { max_attempts: maxAttempts, initial_interval: 'PT0.2S', backoff: 1, max_interval: 'PT0.2S' },
});

type Post = (route: string, body: unknown) => Promise<{ status: number; body: any }>;

/** Registers a definition whose one transition POSTs to `url`, starts an instance and takes the transition (through `post`). */
async function webhookInstance(code: string, url: string, maxAttempts: number, post: Post = (route, body) => h.request('POST', route, { token: admin.token, body })) {
  expect((await h.request('POST', '/api/v1/definitions', { token: admin.token, body: definitionBody(code, url, maxAttempts) })).status).toBe(201);
  const started = await post('/api/v1/workflows', { definition_code: code });
  expect(started.status).toBe(201);
  const advanced = await post(`/api/v1/workflows/${started.body.instance_id}/advance`, { to_state: 'DONE' });
  expect(advanced.status).toBe(200);
  expect(advanced.body.effects_queued).toEqual([webhookCode]);
  return started.body.instance_id as string;
}

/** The instance's one effect once it reached `status`. */
const settledEffect = (instanceId: string, status: string) =>
  eventually(async () => {
    const rows = await h.system.services.db.withOrg(admin.organizationId, async (sql) =>
      (await sql.query('select * from wf_effects_view where instance_id = $1', [instanceId])).rows,
    );
    expect(rows[0]?.effect_status).toBe(status);
    return rows[0];
  }, 30_000);

const url = (path: string) => `http://127.0.0.1:${receiverPort}${path}`;

test('a worker whose policy does not open loopback refuses a loopback target for good, saying why, and sends nothing', async () => {
  const taskQueue = `egress-${Date.now()}`;
  const api = await h.apiWith({ HERA_TASK_QUEUE: taskQueue });
  // `hera worker` as in production: HERA_WEBHOOK_ALLOW empty, as if unset.
  const worker = childWorker(h.env.databaseUrl, taskQueue, { HERA_WEBHOOK_ALLOW: '' });
  try {
    await worker.running;
    await pollersOn(h.system.services.temporal, taskQueue);
    const id = await webhookInstance('LOOPBACK_HOOK', `http://localhost:${receiverPort}/refused`, 3, (route, body) => api.call(admin, route, body));
    const effect = await settledEffect(id, 'PERMANENTLY_FAILED');
    expect(effect.last_error).toMatch(
      /^webhook target (127\.0\.0\.1|::1) \(localhost\) is not allowed: loopback address; allow it with HERA_WEBHOOK_ALLOW$/,
    );
    expect(effect.attempt_count).toBe(1);
    expect(seen.get('/refused')).toBeUndefined();
  } finally {
    await worker.kill();
    await api.close();
  }
});

test.each([
  ['METADATA_HOOK', 'http://169.254.169.254/latest/meta-data/', 'webhook target 169.254.169.254 is not allowed: cloud metadata address'],
  [
    'MAPPED_METADATA_HOOK',
    'http://[::ffff:169.254.169.254]/latest/meta-data/',
    'webhook target ::ffff:a9fe:a9fe is not allowed: cloud metadata address (IPv4 169.254.169.254 inside IPv6)',
  ],
  ['PRIVATE_HOOK', 'http://10.0.0.5/hook', 'webhook target 10.0.0.5 is not allowed: private address'],
])('where loopback is open, %s (%s) is still refused at the first attempt', async (code, target, reason) => {
  const effect = await settledEffect(await webhookInstance(code, target, 3), 'PERMANENTLY_FAILED');
  expect(effect.last_error).toBe(`${reason}; allow it with HERA_WEBHOOK_ALLOW`);
  expect(effect.attempt_count).toBe(1);
});

test('a redirect is not followed: the effect fails for good naming the status, the redirect target sees nothing', async () => {
  const effect = await settledEffect(await webhookInstance('REDIRECT_HOOK', url('/redirect'), 3), 'PERMANENTLY_FAILED');
  expect(effect.last_error).toBe(`webhook ${url('/redirect')} answered 302; redirects are not followed`);
  expect(effect.attempt_count).toBe(1);
  expect(seen.get('/redirect')).toHaveLength(1);
  expect(seen.get('/internal')).toBeUndefined();
});

test('an endless gzip answer is neither decoded nor read whole: the worker cuts it off and the 200 completes the effect', async () => {
  const effect = await settledEffect(await webhookInstance('BOMB_HOOK', url('/endless-gzip'), 1), 'COMPLETED');
  expect(effect).toMatchObject({ attempt_count: 1, last_error: null });
  expect(seen.get('/endless-gzip')?.[0].headers['accept-encoding']).toBe('identity');
  await endlessClosed;
});

/** A receiver's check, as docs/API.md shows it: recompute the HMAC, compare in constant time, bound the age. */
function verifies(header: string, body: string, secret: string): boolean {
  const { t, v1 } = Object.fromEntries(header.split(',').map((part) => part.split('=', 2)));
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(v1 ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) && Math.abs(Date.now() / 1000 - Number(t)) <= 300;
}

test('webhooks are signed with the secret an admin reads; after rotation the new secret verifies and the old one does not', async () => {
  const read = await h.request('GET', '/api/v1/webhooks/secret', { token: admin.token });
  expect(read.status).toBe(200);
  expect(read.body).toEqual({ secret: expect.stringMatching(/^whsec_[0-9a-f]{64}$/), rotated_at: expect.any(String) });
  const old = read.body.secret as string;

  await settledEffect(await webhookInstance('SIGNED_HOOK', url('/signed-1'), 1), 'COMPLETED');
  const [first] = seen.get('/signed-1')!;
  expect(verifies(first.headers['x-hera-signature'] as string, first.body, old)).toBe(true);
  expect(verifies(first.headers['x-hera-signature'] as string, `${first.body} `, old)).toBe(false);

  const rotated = await h.request('POST', '/api/v1/webhooks/secret/rotate', { token: admin.token });
  expect(rotated.status).toBe(200);
  const fresh = rotated.body.secret as string;
  expect(fresh).toMatch(/^whsec_[0-9a-f]{64}$/);
  expect(fresh).not.toBe(old);
  expect((await h.request('GET', '/api/v1/webhooks/secret', { token: admin.token })).body.secret).toBe(fresh);

  await settledEffect(await webhookInstance('SIGNED_HOOK_AFTER', url('/signed-2'), 1), 'COMPLETED');
  const [second] = seen.get('/signed-2')!;
  expect(verifies(second.headers['x-hera-signature'] as string, second.body, fresh)).toBe(true);
  expect(verifies(second.headers['x-hera-signature'] as string, second.body, old)).toBe(false);

  // Both calls are audited, without the secret.
  const audit = await h.request('GET', '/api/v1/audit', { token: admin.token });
  expect(audit.body.events.map((e: { procedure_code: string }) => e.procedure_code)).toEqual(
    expect.arrayContaining(['HERA.UNIV.WF.WEBHOOK.SECRET.GET.V1', 'HERA.UNIV.WF.WEBHOOK.SECRET.ROTATE.V1']),
  );
  expect(JSON.stringify(audit.body)).not.toMatch(/whsec_/);
});

test('the secret is for admins of its own organization only', async () => {
  const user = await h.member(admin.organizationId, ['user', 'manager']);
  for (const [method, path] of [['GET', '/api/v1/webhooks/secret'], ['POST', '/api/v1/webhooks/secret/rotate']]) {
    const refused = await h.request(method, path, { token: user.token });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('PERMISSION_DENIED');
  }
  const mine = (await h.request('GET', '/api/v1/webhooks/secret', { token: admin.token })).body.secret;
  const stranger = await h.member((await h.organization()).id, ['admin']);
  const theirs = (await h.request('GET', '/api/v1/webhooks/secret', { token: stranger.token })).body.secret;
  expect(theirs).toMatch(/^whsec_/);
  expect(theirs).not.toBe(mine);
});
