import { setTimeout as sleep } from 'node:timers/promises';

/** How a client retries: what a careful real client does with a 5xx, a 429 or a dropped connection. */
export interface RetryPolicy {
  /** Deadline of one attempt (longer than the API's own command timeout). */
  attemptTimeoutMs: number;
  /** Deadline of the whole request, retries included. */
  budgetMs: number;
  maxAttempts: number;
}

export interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

/** A request that still had no definitive answer when its retries ran out, or got a refusal (4xx). */
export interface ClientFailure {
  op: string;
  instance?: string;
  method: string;
  path: string;
  idempotencyKey?: string;
  attempts: number;
  /** The last answer: `<status> <error code>: <message>`, `network: …` or `timeout`. */
  last: string;
  /** Every attempt's answer, in order. */
  history: string[];
}

export interface ClientStats {
  requests: number;
  attempts: number;
  retries: number;
  /** Attempts by answer (`503 SERVICE_UNAVAILABLE`, `500 INTERNAL`, `network`, `timeout`, …), 2xx excluded. */
  answers: Record<string, number>;
  /** The first few attempts of each non-2xx answer: which request got it and what it said. */
  examples: Record<string, string[]>;
  failures: ClientFailure[];
  /** Attempts that took longer than 10 s, and the slowest attempt. */
  slowAttempts: number;
  slowestAttemptMs: number;
  inflight: number;
}

const retriable = (status: number) => status === 429 || status >= 500;
const backoff = (attempt: number) => Math.min(250 * 2 ** (attempt - 1), 4000) * (0.5 + Math.random() / 2);
const exampleLimit = 5;

export function newStats(): ClientStats {
  return { requests: 0, attempts: 0, retries: 0, answers: {}, examples: {}, failures: [], slowAttempts: 0, slowestAttemptMs: 0, inflight: 0 };
}

/** HTTP to the API with deadlines, bounded retries under one Idempotency-Key, and every answer counted. */
export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly policy: RetryPolicy,
    readonly stats: ClientStats,
  ) {}

  /**
   * Sends the request until it gets a definitive answer (2xx or a 4xx other than 429) or runs out of attempts or
   * time; returns the answer, or undefined after recording the failure. A 4xx is recorded as a failure too.
   */
  async call(op: string, method: string, path: string, options: { token: string; body?: unknown; key?: string; instance?: string }): Promise<Answer | undefined> {
    const started = Date.now();
    const history: string[] = [];
    this.stats.requests += 1;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(method, path, options);
      const label = outcome.answer ? answerLabel(outcome.answer) : outcome.error!;
      history.push(label);
      if (outcome.answer && outcome.answer.status < 300) return outcome.answer;
      this.count(label, `${op} ${options.instance ?? ''} attempt ${attempt}${options.key ? ` key ${options.key}` : ''}`);
      const retry = !outcome.answer || retriable(outcome.answer.status);
      const wait = backoff(attempt);
      if (!retry || attempt >= this.policy.maxAttempts || Date.now() - started + wait > this.policy.budgetMs) {
        this.stats.failures.push({ op, instance: options.instance, method, path, idempotencyKey: options.key, attempts: attempt, last: label, history });
        process.stderr.write(`[chaos client] FAILED ${op} ${method} ${path} instance=${options.instance ?? '-'} key=${options.key ?? '-'} after ${attempt} attempts: ${label}\n`);
        return undefined;
      }
      this.stats.retries += 1;
      await sleep(wait);
    }
  }

  private count(label: string, example: string): void {
    const key = label.split(':')[0];
    this.stats.answers[key] = (this.stats.answers[key] ?? 0) + 1;
    const list = (this.stats.examples[key] ??= []);
    if (list.length < exampleLimit) list.push(`${example}: ${label}`);
  }

  private async attempt(method: string, path: string, options: { token: string; body?: unknown; key?: string }): Promise<{ answer?: Answer; error?: string }> {
    const headers: Record<string, string> = { authorization: `Bearer ${options.token}` };
    if (options.key) headers['idempotency-key'] = options.key;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    this.stats.attempts += 1;
    this.stats.inflight += 1;
    const started = Date.now();
    try {
      const response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(this.policy.attemptTimeoutMs),
      });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Kept as text: the failure record shows what came back.
      }
      return { answer: { status: response.status, body, headers: response.headers } };
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') return { error: `timeout: no answer within ${this.policy.attemptTimeoutMs} ms` };
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      return { error: `network: ${cause?.code ?? cause?.message ?? String(error)}` };
    } finally {
      this.stats.inflight -= 1;
      const ms = Date.now() - started;
      if (ms > 10_000) this.stats.slowAttempts += 1;
      this.stats.slowestAttemptMs = Math.max(this.stats.slowestAttemptMs, ms);
    }
  }
}

function answerLabel(answer: Answer): string {
  const error = answer.body?.error;
  return error ? `${answer.status} ${error.code}: ${String(error.message).slice(0, 200)}` : `${answer.status}`;
}
