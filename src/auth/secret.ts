import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { heraHome, type Config } from '../config';
import type { KeySource } from './jwt';

/**
 * HERA_JWT_SECRET, else a secret generated once and kept in `.hera/jwt-secret`: for `hera dev` and `hera token`
 * only, never for a served API (see tokenKeys).
 */
export function resolveJwtSecret(config: Config): string {
  if (config.HERA_JWT_SECRET) return config.HERA_JWT_SECRET;
  const file = path.join(heraHome, 'jwt-secret');
  if (!existsSync(file)) {
    mkdirSync(heraHome, { recursive: true });
    try {
      writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      // Another process created it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return readFileSync(file, 'utf8').trim();
}

/**
 * The keys an API verifies tokens with: HERA_JWKS_URL, else HERA_JWT_SECRET. Neither is an error, since an API
 * that made up a secret of its own would accept tokens no other process can verify or rotate.
 */
export function tokenKeys(config: Config): KeySource {
  if (config.HERA_JWKS_URL) return { jwksUrl: config.HERA_JWKS_URL };
  if (config.HERA_JWT_SECRET) return { secret: config.HERA_JWT_SECRET };
  throw new Error('no token keys: set HERA_JWT_SECRET (HS256) or HERA_JWKS_URL (with HERA_JWT_ISSUER and HERA_JWT_AUDIENCE); only `hera dev` makes a secret of its own');
}
