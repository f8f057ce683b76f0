import { createHash } from 'node:crypto';
import http from 'node:http';

export interface WebhookCall {
  /** The effect id in the body. */
  effectId: string;
  /** The Idempotency-Key header as received (undefined when missing). */
  key: string | undefined;
  instanceId: string | undefined;
  status: number;
  at: number;
}

export interface Receiver {
  url: string;
  calls: WebhookCall[];
  /** Effect ids whose first call was answered 503 on purpose. */
  failedFirst: Set<string>;
  close(): Promise<void>;
}

/** About a quarter of the effects, chosen by the seed, fail their first delivery so the retry path runs. */
export function failsFirst(seed: number, effectId: string): boolean {
  return createHash('sha256').update(`${seed}:${effectId}`).digest()[0] % 4 === 0;
}

/** A local webhook target that records every call with its Idempotency-Key and fails the first call of some effects. */
export function startReceiver(port: number, seed: number): Promise<Receiver> {
  const calls: WebhookCall[] = [];
  const failedFirst = new Set<string>();
  const seen = new Set<string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: { effect_id?: string; instance?: { instance_id?: string } } = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        // Recorded with an empty effect id: the checks count it as a call for no effect.
      }
      const effectId = String(body.effect_id ?? '');
      const first = !seen.has(effectId);
      seen.add(effectId);
      const fail = first && failsFirst(seed, effectId);
      if (fail) failedFirst.add(effectId);
      const status = fail ? 503 : 200;
      const key = req.headers['idempotency-key'];
      calls.push({ effectId, key: Array.isArray(key) ? key.join(',') : key, instanceId: body.instance?.instance_id, status, at: Date.now() });
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: !fail }));
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${port}/hook`,
        calls,
        failedFirst,
        close: () => new Promise<void>((r) => server.close(() => r())),
      }),
    );
  });
}
