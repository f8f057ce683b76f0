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

/** The `iss` and `aud` a token must carry, where configured (HERA_JWT_ISSUER, HERA_JWT_AUDIENCE). */
export interface TokenIssuer {
  issuer?: string;
  audience?: string;
}

/**
 * Asymmetric algorithms only against a JWKS: a symmetric (`oct`) key published in a key set, or a token whose
 * header names HS256, must not turn a public key set into a shared secret.
 */
const jwksAlgorithms = ['RS256', 'ES256', 'EdDSA'];

export function signToken(
  secret: string,
  claims: HeraClaims,
  expiresIn: string | number = '24h',
  { issuer, audience }: TokenIssuer = {},
): Promise<string> {
  const jwt = new SignJWT({ org: claims.org, roles: claims.roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn);
  if (issuer) jwt.setIssuer(issuer);
  if (audience) jwt.setAudience(audience);
  return jwt.sign(new TextEncoder().encode(secret));
}

function unauthenticated(reason: 'missing' | 'invalid' | 'expired', message: string, details: Record<string, unknown> = {}): HeraError {
  return new HeraError('UNAUTHENTICATED', 401, message, { reason, ...details });
}

/**
 * Verifies `Authorization: Bearer …` headers: HS256 with a shared secret, or RS256/ES256/EdDSA keys from a JWKS
 * URL. Every token must expire (`exp`), and carry the configured issuer and audience.
 */
export function createTokenVerifier(
  source: KeySource,
  { issuer, audience }: TokenIssuer = {},
): (authorization: string | undefined) => Promise<HeraClaims> {
  const key: Uint8Array | JWTVerifyGetKey =
    'secret' in source ? new TextEncoder().encode(source.secret) : createRemoteJWKSet(new URL(source.jwksUrl));
  const options = {
    algorithms: key instanceof Uint8Array ? ['HS256'] : jwksAlgorithms,
    requiredClaims: ['exp'],
    issuer,
    audience,
  };
  return async (authorization) => {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) throw unauthenticated('missing', 'an Authorization: Bearer token is required');
    let payload: unknown;
    try {
      ({ payload } = key instanceof Uint8Array ? await jwtVerify(match[1], key, options) : await jwtVerify(match[1], key, options));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw unauthenticated('expired', 'the token has expired');
      if (error instanceof errors.JWTClaimValidationFailed) {
        throw unauthenticated('invalid', `the token's ${error.claim} claim is not accepted: ${error.message}`, { claim: error.claim });
      }
      throw unauthenticated('invalid', 'the token is not valid');
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw unauthenticated('invalid', 'the token lacks sub, org or roles claims');
    return claims.data;
  };
}
