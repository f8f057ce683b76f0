import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { signToken } from '../src/auth/jwt';
import { startHarness, type Harness, type Member } from './support/harness';

let h: Harness;
let member: Member;

beforeAll(async () => {
  h = await startHarness();
  member = await h.member((await h.organization()).id);
});
afterAll(() => h.close());

async function expectUnauthenticated(authorization: string | undefined, reason: string) {
  const res = await h.request('GET', '/api/v1/workflows', {
    headers: authorization === undefined ? {} : { authorization },
  });
  expect(res.status).toBe(401);
  expect(res.body.error).toMatchObject({ code: 'UNAUTHENTICATED', details: { reason } });
}

describe('authentication (401)', () => {
  test('a missing or non-bearer Authorization header', async () => {
    await expectUnauthenticated(undefined, 'missing');
    await expectUnauthenticated(`Basic ${Buffer.from('a:b').toString('base64')}`, 'missing');
  });

  test('an expired token', async () => {
    const expired = await new SignJWT({ org: member.organizationId, roles: ['user'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(member.userId)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(new TextEncoder().encode(h.env.jwtSecret));
    await expectUnauthenticated(`Bearer ${expired}`, 'expired');
  });

  test('a token signed with another secret, a garbled token, a token without the HERA claims', async () => {
    const forged = await signToken('not-the-secret-of-this-server', {
      sub: member.userId,
      org: member.organizationId,
      roles: ['admin'],
    });
    await expectUnauthenticated(`Bearer ${forged}`, 'invalid');
    await expectUnauthenticated('Bearer not.a.jwt', 'invalid');
    const noOrg = await new SignJWT({ roles: ['user'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(member.userId)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(h.env.jwtSecret));
    await expectUnauthenticated(`Bearer ${noOrg}`, 'invalid');
  });

  test('health and readiness need no token', async () => {
    expect((await h.request('GET', '/healthz')).status).toBe(200);
    expect(await h.request('GET', '/readyz')).toMatchObject({ status: 200, body: { status: 'ready' } });
    const metrics = await h.request('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('hera_http_request_duration_seconds_count{method="GET",route="/readyz",status="200"}');
  });
});

describe('the organization comes from the token', () => {
  test('a body naming another organization is 403 ORGANIZATION_MISMATCH and starts nothing', async () => {
    // An organization of its own, so "nothing" cannot be anything another test started.
    const caller = await h.member((await h.organization()).id);
    const other = randomUUID();
    const res = await h.request('POST', '/api/v1/workflows', {
      token: caller.token,
      body: { organization_id: other, definition_code: 'APPT_FOLLOWUP' },
    });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'ORGANIZATION_MISMATCH', details: { organization_id: other } });
    const list = await h.request('GET', '/api/v1/workflows', { token: caller.token });
    expect(list.status).toBe(200);
    expect(list.body.instances).toEqual([]);
  });

  test('a query naming another organization is 403; naming the caller’s own is fine', async () => {
    const mismatch = await h.request('GET', `/api/v1/workflows?organization_id=${randomUUID()}`, { token: member.token });
    expect(mismatch.status).toBe(403);
    expect(mismatch.body.error.code).toBe('ORGANIZATION_MISMATCH');
    const own = await h.request('POST', '/api/v1/workflows', {
      token: member.token,
      body: { organization_id: member.organizationId, definition_code: 'APPT_FOLLOWUP' },
    });
    expect(own.status).toBe(201);
  });

  test('another organization’s instances are not listed', async () => {
    const [caller, stranger] = await Promise.all([h.organization(), h.organization()].map(async (o) => h.member((await o).id)));
    const start = async (who: Member) => {
      const res = await h.request('POST', '/api/v1/workflows', { token: who.token, body: { definition_code: 'APPT_FOLLOWUP' } });
      expect(res.status).toBe(201);
      return res.body.instance_id as string;
    };
    const own = await start(caller);
    const theirs = await start(stranger);
    const listed = async (who: Member) =>
      (await h.request('GET', '/api/v1/workflows', { token: who.token })).body.instances.map((i: { instance_id: string }) => i.instance_id);
    expect(await listed(caller)).toEqual([own]);
    expect(await listed(stranger)).toEqual([theirs]);
  });
});
