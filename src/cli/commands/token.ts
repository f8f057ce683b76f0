import { Command, InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { signToken } from '../../auth/jwt';
import { resolveJwtSecret } from '../../auth/secret';
import { loadConfig } from '../../config';

function uuid(value: string): string {
  if (!z.guid().safeParse(value).success) throw new InvalidArgumentError('expected a uuid');
  return value;
}

export const tokenCommand = new Command('token')
  .description('print a bearer token (HS256 with HERA_JWT_SECRET or .hera/jwt-secret)')
  .requiredOption('--org <id>', 'organization id', uuid)
  .requiredOption('--user <id>', 'user id', uuid)
  .option('--roles <roles>', 'comma-separated roles', 'user')
  .option('--ttl <duration>', 'lifetime, e.g. 24h or 15m', '24h')
  .action(async ({ org, user, roles, ttl }: { org: string; user: string; roles: string; ttl: string }) => {
    const config = loadConfig();
    const token = await signToken(
      resolveJwtSecret(config),
      { sub: user, org, roles: roles.split(',').map((r) => r.trim()).filter(Boolean) },
      ttl,
      { issuer: config.HERA_JWT_ISSUER, audience: config.HERA_JWT_AUDIENCE },
    );
    process.stdout.write(`${token}\n`);
  });
