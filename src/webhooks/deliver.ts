import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { EgressPolicy } from './egressPolicy';

/** How much of an answer the worker reads; the status is what counts, the rest is dropped unread. */
export const maxAnswerBytes = 64 * 1024;

/** A failure that retrying cannot mend (a target the policy refuses, a redirect): the effect fails at once. */
export class PermanentWebhookFailure extends Error {}

export interface WebhookRequest {
  url: string;
  /** The exact bytes to send (what the signature covers). */
  body: string;
  headers: Record<string, string>;
  /** The whole delivery: name lookup, connect, request and reading the answer. */
  timeoutMs: number;
}

interface Pinned {
  address: string;
  family: 4 | 6;
}

/** Rejects when `signal` aborts: for waits that take no signal (the name lookup). */
const aborted = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));

/** Resolves `host` to every address it has; refuses it if any one is not allowed, else answers the first. */
async function checkedAddress(host: string, policy: EgressPolicy, signal: AbortSignal): Promise<Pinned> {
  const addresses = await Promise.race([lookup(host, { all: true, verbatim: true }), aborted(signal)]);
  for (const { address } of addresses) {
    const reason = policy.refusal(host, address);
    if (reason) {
      const named = address === host ? address : `${address} (${host})`;
      throw new PermanentWebhookFailure(`webhook target ${named} is not allowed: ${reason}; allow it with HERA_WEBHOOK_ALLOW`);
    }
  }
  const [{ address, family }] = addresses;
  return { address, family: family === 6 ? 6 : 4 };
}

/** A `lookup` that answers only the address already checked, so a second DNS answer (rebinding) cannot swap it. */
const pinnedLookup =
  ({ address, family }: Pinned): LookupFunction =>
  (_hostname, options, callback) => {
    if (options.all) (callback as (e: null, all: Array<{ address: string; family: number }>) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };

/**
 * POSTs one webhook to the address its host resolves to when `policy` allows it, over a connection pinned to
 * that address. Resolves on a 2xx answer; a 3xx is a permanent failure (redirects are not followed), any other
 * status or a timeout a failure worth retrying. Reads at most `maxAnswerBytes` of the answer, undecoded.
 */
export async function deliverWebhook(request: WebhookRequest, policy: EgressPolicy): Promise<void> {
  const url = new URL(request.url);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const signal = AbortSignal.timeout(request.timeoutMs);
  const timedOut = () => new Error(`webhook ${request.url} did not answer within ${request.timeoutMs} ms`);
  let pinned: Pinned;
  try {
    pinned = await checkedAddress(host, policy, signal);
  } catch (error) {
    throw signal.aborted ? timedOut() : error;
  }
  const send = url.protocol === 'https:' ? https.request : http.request;
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      if (error) reject(error);
      else resolve();
    };
    const req = send(
      url,
      {
        method: 'POST',
        // `identity`: an answer is never decompressed (no decompression bomb), only counted.
        headers: { ...request.headers, 'accept-encoding': 'identity', 'content-length': String(Buffer.byteLength(request.body)) },
        lookup: pinnedLookup(pinned),
        // TLS checks the certificate against the host name, not the pinned address.
        ...(isIP(host) ? {} : { servername: host }),
        // A connection of its own: a pooled one could have been opened under another check.
        agent: false,
        signal,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const judge = () => {
          if (status >= 200 && status < 300) return settle();
          if (status >= 300 && status < 400) {
            return settle(new PermanentWebhookFailure(`webhook ${request.url} answered ${status}; redirects are not followed`));
          }
          settle(new Error(`webhook ${request.url} answered ${status}`));
        };
        let received = 0;
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received <= maxAnswerBytes) return;
          // Enough read: the status decided; the connection goes, whatever the receiver still sends.
          judge();
          req.destroy();
        });
        res.on('end', judge);
        // Without an end first (settled by then), the answer was cut short: by the deadline or the receiver.
        const brokenOff = () => settle(signal.aborted ? timedOut() : new Error(`webhook ${request.url} broke off its answer`));
        res.on('error', brokenOff);
        res.on('close', brokenOff);
      },
    );
    req.on('error', (error) => settle(signal.aborted ? timedOut() : error));
    req.end(request.body);
  });
}
