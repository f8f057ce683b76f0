import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { heraHome, loadConfig } from '../../config';
import { CliError, ExitCode } from '../exitCodes';

/** Where the API is and who calls it: flag, then environment, then `hera dev`'s saved admin session. */
export interface ApiTarget {
  url: string;
  token: string;
}

export interface TargetOptions {
  api?: string;
  token?: string;
}

const defaultUrl = 'http://127.0.0.1:3000';

/** `.hera/dev.json` as `hera dev` writes it, or nothing when `hera dev` never ran here. */
function devSession(): { api?: string; admin_token?: string } {
  try {
    return JSON.parse(readFileSync(path.join(heraHome, 'dev.json'), 'utf8')) as { api?: string; admin_token?: string };
  } catch {
    return {};
  }
}

export function resolveTarget(options: TargetOptions): ApiTarget {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    throw new CliError(ExitCode.Usage, (error as Error).message);
  }
  const dev = devSession();
  const token = options.token ?? config.HERA_TOKEN ?? dev.admin_token;
  if (!token) throw new CliError(ExitCode.Usage, 'no token: pass --token, set HERA_TOKEN, or run `hera dev` here (its admin token is used)');
  return { url: (options.api ?? config.HERA_API_URL ?? dev.api ?? defaultUrl).replace(/\/+$/, ''), token };
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface Answer<T> {
  body: T;
  replayed: boolean;
}

/** Retries of transient failures (connection refused, 5xx, timeouts): short, since an operator is waiting. */
const retryDelaysMs = [250, 1000];
const requestTimeoutMs = 60_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A refusal by the engine (exit 3), with its code for a command that handles one (e.g. a calendar not found). */
export class ApiRefusal extends CliError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(ExitCode.Refused, message);
  }
}

/** A JSON client of the HERA API whose failures are CliErrors carrying the exit code they mean. */
export class ApiClient {
  constructor(private readonly target: ApiTarget) {}

  get(route: string, query: Query = {}): Promise<Answer<any>> {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
    const search = params.size ? `?${params}` : '';
    return this.send('GET', `${route}${search}`);
  }

  /** A command: always under an Idempotency-Key, so its retries (ours or the operator's) act once. */
  post(route: string, body: unknown, idempotencyKey: string = randomUUID()): Promise<Answer<any>> {
    return this.send('POST', route, body, idempotencyKey);
  }

  /** A PUT of a whole record: the same body again changes nothing, so its retries need no Idempotency-Key. */
  put(route: string, body: unknown): Promise<Answer<any>> {
    return this.send('PUT', route, body);
  }

  private async send(method: string, route: string, body?: unknown, idempotencyKey?: string): Promise<Answer<any>> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.target.token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    const url = `${this.target.url}${route}`;
    let failure = '';
    for (let attempt = 0; attempt <= retryDelaysMs.length; attempt++) {
      if (attempt > 0) await sleep(retryDelaysMs[attempt - 1]);
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(requestTimeoutMs),
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        failure = `${this.target.url} unreachable: ${cause?.code ?? cause?.message ?? (error as Error).message}`;
        continue;
      }
      const text = await response.text();
      let parsed: any;
      try {
        parsed = text ? JSON.parse(text) : {};
      } catch {
        parsed = undefined;
      }
      if (response.status >= 500) {
        failure = `${this.target.url} answered ${response.status}${parsed?.error ? ` ${errorLine(parsed.error)}` : ''}`;
        continue;
      }
      if (parsed === undefined) throw new CliError(ExitCode.Unreachable, `${url} answered ${response.status} with no JSON: is ${this.target.url} the HERA API?`);
      if (!response.ok) {
        if (!parsed.error) throw new CliError(ExitCode.Unreachable, `${url} answered ${response.status} with no HERA error: is ${this.target.url} the HERA API?`);
        throw new ApiRefusal(String(parsed.error.code), errorLine(parsed.error));
      }
      return { body: parsed, replayed: response.headers.get('idempotent-replayed') === 'true' };
    }
    throw new CliError(ExitCode.Unreachable, failure);
  }
}

/** `CODE: message`, and the details an operator needs to fix the request (fields, allowed states…). */
function errorLine(error: { code?: string; message?: string; details?: unknown }): string {
  const details = error.details && typeof error.details === 'object' && Object.keys(error.details).length ? `\n  details: ${JSON.stringify(error.details)}` : '';
  return `${error.code ?? 'ERROR'}: ${error.message ?? ''}${details}`;
}
