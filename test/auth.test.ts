import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { signToken } from '../src/auth/jwt';
import { loadConfig } from '../src/config';
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

/** GETs the definitions list (any member may) from the API at `url` with `token`. */
async function definitionsAt(url: string, token: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/api/v1/definitions`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json() };
}

const claimsOf = (who: Member) => ({ org: who.organizationId, roles: who.roles });

describe('what a token must carry', () => {
  test('a token without exp is 401, naming the claim', async () => {
    const forever = await new SignJWT(claimsOf(member))
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(member.userId)
      .setIssuedAt()
      .sign(new TextEncoder().encode(h.env.jwtSecret));
    const res = await h.request('GET', '/api/v1/definitions', { token: forever });
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: 'UNAUTHENTICATED', details: { reason: 'invalid', claim: 'exp' } });
  });

  test('with HERA_JWT_ISSUER and HERA_JWT_AUDIENCE set, a token of another issuer or audience, or of none, is 401', async () => {
    const api = await h.apiWith({ HERA_JWT_ISSUER: 'https://id.hera.test', HERA_JWT_AUDIENCE: 'hera-workflow-ops' });
    try {
      const signed = (issuer?: string, audience?: string) =>
        signToken(h.env.jwtSecret, { sub: member.userId, ...claimsOf(member) }, '1h', { issuer, audience });
      expect((await definitionsAt(api.url, await signed('https://id.hera.test', 'hera-workflow-ops'))).status).toBe(200);
      const refused = [
        [await signed('https://other.test', 'hera-workflow-ops'), 'iss'],
        [await signed(undefined, 'hera-workflow-ops'), 'iss'],
        [await signed('https://id.hera.test', 'another-service'), 'aud'],
        [await signed('https://id.hera.test'), 'aud'],
      ] as const;
      for (const [token, claim] of refused) {
        const res = await definitionsAt(api.url, token);
        expect({ status: res.status, error: res.body.error }).toMatchObject({
          status: 401,
          error: { code: 'UNAUTHENTICATED', details: { reason: 'invalid', claim } },
        });
      }
    } finally {
      await api.close();
    }
  });

  test('HERA_JWKS_URL without HERA_JWT_ISSUER or HERA_JWT_AUDIENCE stops the configuration, naming the variable', () => {
    const env = { HERA_JWKS_URL: 'https://id.hera.test/.well-known/jwks.json' };
    expect(() => loadConfig(env)).toThrow(/HERA_JWT_ISSUER: required when HERA_JWKS_URL is set; HERA_JWT_AUDIENCE: required/);
    expect(() => loadConfig({ ...env, HERA_JWT_ISSUER: 'https://id.hera.test' })).toThrow(/HERA_JWT_AUDIENCE: required when HERA_JWKS_URL is set/);
    expect(loadConfig({ ...env, HERA_JWT_ISSUER: 'https://id.hera.test', HERA_JWT_AUDIENCE: 'hera' }).HERA_JWKS_URL).toBe(env.HERA_JWKS_URL);
  });
});

describe('tokens against a JWKS', () => {
  const issuer = 'https://id.hera.test';
  const audience = 'hera-workflow-ops';
  let privateKey: KeyLike;
  let jwks: http.Server;
  let api: Awaited<ReturnType<Harness['apiWith']>>;
  // A symmetric key published in the set by mistake: with HS256 allowed, anyone reading the set could sign.
  const shared = randomBytes(32);

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    const keys = [
      // No `alg` on the RSA key, as many sets publish it: the key alone would also verify RS512 or PS256.
      { ...(await exportJWK(pair.publicKey)), kid: 'rsa', use: 'sig' },
      { kty: 'oct', k: shared.toString('base64url'), kid: 'shared', alg: 'HS256', use: 'sig' },
    ];
    jwks = http.createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys })));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
    api = await h.apiWith({ HERA_JWKS_URL: url, HERA_JWT_ISSUER: issuer, HERA_JWT_AUDIENCE: audience });
  });
  afterAll(async () => {
    await api.close();
    await new Promise((resolve) => jwks.close(resolve));
  });

  const token = (alg: string, kid: string) =>
    new SignJWT(claimsOf(member))
      .setProtectedHeader({ alg, kid })
      .setSubject(member.userId)
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime('1h');

  test('an RS256 token of the set is accepted; PS256 or RS512 under the same key, HS256 (even under a key the set holds) or alg none is 401', async () => {
    expect((await definitionsAt(api.url, await token('RS256', 'rsa').sign(privateKey))).status).toBe(200);
    const header = Buffer.from(JSON.stringify({ alg: 'none', kid: 'rsa' })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ ...claimsOf(member), sub: member.userId, iss: issuer, aud: audience, exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url');
    const refusedTokens = [
      await token('PS256', 'rsa').sign(privateKey),
      await token('RS512', 'rsa').sign(privateKey),
      await token('HS256', 'shared').sign(shared),
      `${header}.${body}.`,
    ];
    for (const refused of refusedTokens) {
      const res = await definitionsAt(api.url, refused);
      expect({ status: res.status, error: res.body.error }).toMatchObject({ status: 401, error: { code: 'UNAUTHENTICATED', details: { reason: 'invalid' } } });
    }
  });
});

describe('the token’s organization must exist and be active', () => {
  test('a token of a suspended organization is 403 ORGANIZATION_SUSPENDED', async () => {
    const org = (await h.organization()).id;
    const suspended = await h.member(org, ['admin', 'user']);
    await h.system.services.db.withOrg(org, (sql) => sql.query("update core_organizations set status = 'suspended' where id = $1", [org]));
    const res = await h.request('GET', '/api/v1/definitions', { token: suspended.token });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'ORGANIZATION_SUSPENDED', details: { organization_id: org, status: 'suspended' } });
  });

  test('a token of an organization that does not exist is 403 ORGANIZATION_UNKNOWN', async () => {
    const stranger = await h.member(randomUUID(), ['admin', 'user']);
    const res = await h.request('GET', '/api/v1/definitions', { token: stranger.token });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'ORGANIZATION_UNKNOWN', details: { organization_id: stranger.organizationId } });
  });
});
