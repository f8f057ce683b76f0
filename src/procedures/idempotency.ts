import { createHash } from 'node:crypto';
import type { Caller } from './types';

/**
 * An Idempotency-Key as its caller's: the same key from another user of the organization is another request,
 * so no one is answered with (or refused because of) someone else's call.
 */
export function callerKey(caller: Pick<Caller, 'userId'>, key: string): string {
  return `${caller.userId}:${key}`;
}

/**
 * A uuid derived from (organization, user, procedure, Idempotency-Key), so a repeated request names the same
 * record whichever process serves it (RFC 4122 layout, version 5 bits).
 */
export function uuidFromKey(caller: Pick<Caller, 'organizationId' | 'userId'>, procedure: string, key: string): string {
  const h = createHash('sha256').update(`${caller.organizationId}\n${callerKey(caller, key)}\n${procedure}`).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
