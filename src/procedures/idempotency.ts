import { createHash } from 'node:crypto';

/**
 * A uuid derived from (organization, procedure, Idempotency-Key), so a repeated request names the same record
 * whichever process serves it (RFC 4122 layout, version 5 bits).
 */
export function uuidFromKey(organizationId: string, procedure: string, key: string): string {
  const h = createHash('sha256').update(`${organizationId}\n${procedure}\n${key}`).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
