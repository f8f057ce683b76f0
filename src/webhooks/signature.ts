import { createHmac } from 'node:crypto';

/** The header that carries a webhook body's signature. */
export const signatureHeaderName = 'x-hera-signature';

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` keyed with the organization's secret (Stripe's
 * scheme): the receiver proves the body came from HERA unchanged, and the time bounds how long a captured
 * request can be replayed.
 */
export function webhookSignature(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}
