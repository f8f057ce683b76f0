import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { heraHome, type Config } from '../config';

/** HERA_JWT_SECRET, else a secret generated once and kept in `.hera/jwt-secret`. */
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
