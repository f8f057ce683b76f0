import { createRemoteJWKSet, errors, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { HeraError } from '../errors';

/** The claims HERA reads from a bearer token: the user, the organization and the roles. */
const claimsSchema = z.object({
  sub: z.guid(),
  org: z.guid(),
  roles: z.array(z.string().min(1)),
});

export type HeraClaims = z.infer<typeof claimsSchema>;

export type KeySource = { secret: string } | { jwksUrl: string };

export function signToken(secret: string, claims: HeraClaims, expiresIn: string | number = '24h'): Promise<string> {
  return new SignJWT({ org: claims.org, roles: claims.roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}

function unauthenticated(reason: 'missing' | 'invalid' | 'expired', message: string): HeraError {
  return new HeraError('UNAUTHENTICATED', 401, message, { reason });
}

/** Verifies `Authorization: Bearer …` headers: HS256 with a shared secret, or keys from a JWKS URL. */
export function createTokenVerifier(source: KeySource): (authorization: string | undefined) => Promise<HeraClaims> {
  const key: Uint8Array | JWTVerifyGetKey =
    'secret' in source ? new TextEncoder().encode(source.secret) : createRemoteJWKSet(new URL(source.jwksUrl));
  return async (authorization) => {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) throw unauthenticated('missing', 'an Authorization: Bearer token is required');
    let payload: unknown;
    try {
      ({ payload } =
        key instanceof Uint8Array
          ? await jwtVerify(match[1], key, { algorithms: ['HS256'] })
          : await jwtVerify(match[1], key));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw unauthenticated('expired', 'the token has expired');
      throw unauthenticated('invalid', 'the token is not valid');
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw unauthenticated('invalid', 'the token lacks sub, org or roles claims');
    return claims.data;
  };
}
