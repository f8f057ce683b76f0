import { refuse } from './checks';
import type { InstanceContext } from './context';

/** How a missing directory entry is refused, by what the command named. */
const missing = {
  team: (v: string) => ['TEAM_NOT_FOUND', `no team ${v}`],
  userId: () => ['USER_NOT_FOUND', 'no such user in the directory'],
  role: (v: string) => ['ROLE_NOT_FOUND', `nobody in the directory holds the role ${v}`],
} as const;

/**
 * The team, user or role a command names (in its `field`) must be in the organization's directory; a precondition
 * the handler checks (it asks the database, so no validator can).
 */
export async function requireInDirectory(ctx: InstanceContext, kind: keyof typeof missing, value: string | undefined, field: string): Promise<void> {
  if (value === undefined || (await ctx.acts.directory.directoryHas({ organizationId: ctx.organizationId, [kind]: value }))) return;
  const [code, message] = missing[kind](value);
  refuse(code, message, { [field]: value });
}
