import { randomUUID } from 'node:crypto';
import { signToken } from '../../src/auth/jwt';
import { loadConfig, type Config } from '../../src/config';
import { systemActorId } from '../../src/db/queries/codes';
import { ensureOrganization, type Organization } from '../../src/db/queries/organizations';
import { openSystem, startApi, type RunningApi, type System } from '../../src/system';
import { testEnvironment, type TestEnvironment } from './env';

export interface Response {
  status: number;
  headers: Headers;
  body: any;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface Member {
  userId: string;
  organizationId: string;
  roles: string[];
  token: string;
}

/** The API served in this test process against the run's Temporal server, database and worker. */
export interface Harness {
  env: TestEnvironment;
  config: Config;
  system: System;
  api: RunningApi;
  /** A new organization, unique to the calling test. */
  organization(): Promise<Organization>;
  member(organizationId: string, roles?: string[]): Promise<Member>;
  request(method: string, path: string, options?: RequestOptions): Promise<Response>;
  /** A second API in this process with its own settings (task queue, history limit), on this run's servers. */
  apiWith(env: Record<string, string>): Promise<SecondApi>;
  close(): Promise<void>;
}

export interface SecondApi {
  url: string;
  system: System;
  /** POSTs `body` as `member`. */
  call(member: Member, route: string, body?: unknown): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const env = testEnvironment();
  const config = loadConfig({ ...process.env, DATABASE_URL: env.databaseUrl, LOG_LEVEL: 'silent' });
  const system = await openSystem(config, env.appDatabaseUrl);
  const api = await startApi(config, system, 0);
  return {
    env,
    config,
    system,
    api,
    organization: () =>
      ensureOrganization(system.services.db.pool, `test-${randomUUID()}`, 'Test organization', systemActorId),
    async member(organizationId, roles = ['user']) {
      const userId = randomUUID();
      return { userId, organizationId, roles, token: await signToken(env.jwtSecret, { sub: userId, org: organizationId, roles }) };
    },
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      let body: string | undefined = options.rawBody;
      if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] = 'application/json';
      }
      const response = await fetch(`${api.url}${path}`, { method, headers, body });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Not JSON: keep the text, so an assertion on the shape fails with the text in view.
      }
      return { status: response.status, headers: response.headers, body: parsed };
    },
    async apiWith(settings) {
      const second = loadConfig({ ...process.env, DATABASE_URL: env.databaseUrl, LOG_LEVEL: 'silent', ...settings });
      const secondSystem = await openSystem(second, env.appDatabaseUrl);
      const secondApi = await startApi(second, secondSystem, 0);
      return {
        url: secondApi.url,
        system: secondSystem,
        async call(member, route, body = {}) {
          const res = await fetch(`${secondApi.url}${route}`, {
            method: 'POST',
            headers: { authorization: `Bearer ${member.token}`, 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
          return { status: res.status, body: (await res.json()) as any };
        },
        close: async () => {
          await secondApi.close();
          await secondSystem.close();
        },
      };
    },
    async close() {
      await api.close();
      await system.close();
    },
  };
}
