import { randomUUID } from 'node:crypto';
import { Command, Option } from 'commander';
import { ApiClient, resolveTarget } from './client';

/** Options every command over the API takes. */
export interface ApiOptions {
  api?: string;
  token?: string;
  json?: boolean;
  idempotencyKey?: string;
}

/** Adds --api, --token and --json (and, for commands that change state, --idempotency-key). */
export function withApiOptions(command: Command, { mutating = false } = {}): Command {
  command
    .option('--api <url>', 'API base URL (default: HERA_API_URL, else `hera dev`’s, else http://127.0.0.1:3000)')
    .option('--token <jwt>', 'bearer token (default: HERA_TOKEN, else `hera dev`’s admin token)')
    .option('--json', 'print the API’s JSON answer as is (for scripts)');
  if (mutating) command.addOption(new Option('--idempotency-key <key>', 'Idempotency-Key to send (default: a new uuid); repeat it to retry safely'));
  return command;
}

export function clientOf(options: ApiOptions): ApiClient {
  return new ApiClient(resolveTarget(options));
}

export function idempotencyKeyOf(options: ApiOptions): string {
  return options.idempotencyKey ?? randomUUID();
}

/** Prints `body` as JSON with --json, else as `human` renders it. */
export function print<T>(options: ApiOptions, body: T, human: (body: T) => string): void {
  process.stdout.write(options.json ? `${JSON.stringify(body)}\n` : human(body));
}

/** A list's "more" hint for people: the cursor to pass for the next page. */
export function nextPageHint(pagination: { has_more?: boolean; next_cursor?: string | null } | undefined): string {
  return pagination?.has_more && pagination.next_cursor ? `more: --cursor ${pagination.next_cursor}\n` : '';
}

/** Commander's camelCase option names back to the API's snake_case query names, undefined dropped. */
export function queryOf(options: object, names: readonly string[]): Record<string, string | undefined> {
  const byCamel = options as Record<string, string | undefined>;
  return Object.fromEntries(names.map((name) => [name, byCamel[name.replace(/_(\w)/g, (_, c: string) => c.toUpperCase())]]));
}
