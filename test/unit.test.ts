import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { auditedInput } from '../src/procedures/auditInput';
import { loadDefinitionCatalog } from '../src/definitions/catalog';
import { definitionSchema, pinDefinition } from '../src/definitions/schema';
import { passesGate } from '../src/procedures/roles';
import { decodeCursor, encodeCursor } from '../src/procedures/pagination';
import { cachedCliName, resolveTemporalCli } from '../src/temporal/cli';
import { devServerArgs } from '../src/temporal/devServer';
import { z } from 'zod';
import { evaluateGuard } from '../src/definitions/guards';
import { connectionLost } from '../src/db/pool';
import { Refusal } from '../src/errors';
import { implementations } from '../src/procedures';
import { loadContracts } from '../src/procedures/contracts';
import { bindProcedures, createRunner } from '../src/procedures/runner';
import type { Services } from '../src/procedures/types';
import { chooseTransition, durationMs } from '../src/workflows/machine';
import { nextOverdueCheck, nextSlaCheck, overdueLevel, slaDecision } from '../src/workflows/sla';
import { sweepHealthOf } from '../src/metrics';
import { loadConfig } from '../src/config';

describe('route role gates', () => {
  test.each([
    [['user'], ['user'], true],
    [['employee'], ['admin'], false],
    [['system'], ['admin'], true],
    [['admin'], ['admin'], true],
    [['admin'], ['manager'], true],
    [['admin'], ['ap_manager'], false],
    [['manager'], ['admin'], false],
    [['ap_clerk', 'manager'], ['manager'], true],
  ])('%j against %j → %s', (caller, required, expected) => {
    expect(passesGate(caller, required)).toBe(expected);
  });

  test('whoever may set or fire a timer passes the gates of what its on_fire does in their name (create and escalate tasks)', () => {
    const roles = (code: string) => loadContracts().find((c) => c.smart_code === code)!.roles;
    for (const timerCode of ['HERA.UNIV.WF.TIMER.SET.V1', 'HERA.UNIV.WF.TIMER.FIRE.V1']) {
      for (const role of roles(timerCode)) {
        for (const action of ['HERA.UNIV.WF.TASK.CREATE.V1', 'HERA.UNIV.WF.TASK.ESCALATE.V1']) expect([role, action, passesGate([role], roles(action))]).toEqual([role, action, true]);
      }
    }
  });
});

describe('definitions', () => {
  test('the five shipped definitions load and pin their initial and terminal states', () => {
    const catalog = loadDefinitionCatalog();
    expect(catalog.list().map((d) => d.code).sort()).toEqual([
      'APPT_FOLLOWUP',
      'AP_BILL_APPROVAL',
      'LEAVE_APPROVAL',
      'MEMBERSHIP_RENEWAL',
      'TEST_ADMIN_WORKFLOW',
    ]);
    expect(catalog.current('APPT_FOLLOWUP')).toMatchObject({ initial_state: 'COMPLETED', terminal_states: ['DONE'] });
  });

  test('defaults: initial = first state, terminal = states without an outgoing transition', () => {
    const pinned = pinDefinition(
      definitionSchema.parse({
        code: 'TINY',
        states: ['A', 'B', 'C'],
        transitions: [{ from: 'A', to: 'B', by: ['user'] }, { from: 'A', to: 'C', by: ['user'] }],
      }),
    );
    expect(pinned).toMatchObject({ version: 1, initial_state: 'A', terminal_states: ['B', 'C'] });
  });

  test('a transition to an unknown state or a timer with both minutes and duration is rejected', () => {
    const result = definitionSchema.safeParse({
      code: 'BROKEN',
      states: ['A'],
      transitions: [{ from: 'A', to: 'Z', by: ['user'] }],
      timers: [{ on_enter: 'A', name: 't', minutes: 5, duration: 'PT5M', on_fire: {} }],
    });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['transitions.0.to', 'timers.0']));
  });
});

describe('cursors', () => {
  /** A timestamp as the keyset query writes it: microseconds, UTC. */
  const written = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => `${d.toISOString().slice(0, -1)}000Z`);
  test('round-trip any position of the same order; another order is refused', () => {
    fc.assert(
      fc.property(written, fc.integer({ min: -2_147_483_647, max: 2_147_483_647 }), fc.uuid(), (stamp, line, id) => {
        expect(decodeCursor(encodeCursor('created_at:desc', { value: stamp, id }), 'created_at:desc', 'timestamp')).toEqual({ value: stamp, id });
        expect(decodeCursor(encodeCursor('line_number:asc', { value: String(line), id }), 'line_number:asc', 'integer')).toEqual({ value: String(line), id });
        expect(() => decodeCursor(encodeCursor('created_at:desc', { value: stamp, id }), 'sla_at:asc', 'timestamp')).toThrow(/cursor/);
      }),
    );
  });
  test('any other string is INVALID_PAGINATION, never a crash', () => {
    fc.assert(
      fc.property(fc.string(), (junk) => {
        expect(() => decodeCursor(junk, 'created_at:desc', 'timestamp')).toThrow(expect.objectContaining({ code: 'INVALID_PAGINATION' }));
      }),
    );
  });
  test('a value that does not fit the sort, an id that is no uuid, or another shape is INVALID_PAGINATION', () => {
    const id = '6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b';
    const forge = (position: object) => Buffer.from(JSON.stringify(position)).toString('base64url');
    for (const value of ['yesterday', '2026-02-30T00:00:00.000000Z', '2026-01-01T24:00:00.000000Z', '0050-01-01T00:00:00.000000Z', '2026-01-01', '12']) {
      expect(() => decodeCursor(forge({ sort: 'created_at:desc', value, id }), 'created_at:desc', 'timestamp')).toThrow(/cursor/);
    }
    for (const value of ['1.5', '2147483648', 'x', '2026-01-01T00:00:00.000000Z']) {
      expect(() => decodeCursor(forge({ sort: 'line_number:asc', value, id }), 'line_number:asc', 'integer')).toThrow(/cursor/);
    }
    for (const position of [{ sort: 'line_number:asc', value: '3', id: 'not-a-uuid' }, { sort: 'line_number:asc', value: '3' }, { sort: 'line_number:asc', value: '3', id, extra: 1 }, { sort: 'line_number:asc', value: 3, id }]) {
      expect(() => decodeCursor(forge(position), 'line_number:asc', 'integer')).toThrow(/cursor/);
    }
  });
});

describe('audited input', () => {
  /** Every string in a JSON value, keys included. */
  const stringsOf = (value: unknown): string[] =>
    typeof value === 'string' ? [value]
      : Array.isArray(value) ? value.flatMap(stringsOf)
      : value && typeof value === 'object' ? Object.entries(value).flatMap(([k, v]) => [k, ...stringsOf(v)])
      : [];
  test('whatever validated, an audit row keeps at most 8 KB of it, its strings cut at 500 characters', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 6 })), fc.string({ minLength: 501, maxLength: 5000 }), (input, long) => {
        const kept = auditedInput({ ...input, long });
        expect(Buffer.byteLength(JSON.stringify(kept))).toBeLessThanOrEqual(8 * 1024);
        for (const text of stringsOf(kept)) expect(text.length).toBeLessThanOrEqual(500 + '… (99999 more characters)'.length);
        expect(stringsOf(kept)).not.toContain(long);
      }),
    );
  });
});

test('the dev server is started with every search attribute, the update flags and caches for many live instances', () => {
  const args = devServerArgs({ cliPath: 'temporal', port: 7233 }).join(' ');
  expect(args).toContain('history.hostLevelCacheMaxSize=128000');
  expect(args).toContain('history.eventsCacheMaxSizeBytes=268435456');
  for (const sa of ['HeraOrganizationId=Keyword', 'HeraPaused=Bool', 'HeraSlaAt=Datetime']) expect(args).toContain(sa);
  expect(args).toContain('frontend.enableUpdateWorkflowExecution=true');
  expect(args).toContain('frontend.enableExecuteMultiOperation=true');
  expect(args).toContain('--headless');
});

describe('Temporal CLI resolution', () => {
  /** A scratch dir with an executable shell script `name` in it that prints `output`. */
  const script = (dir: string, name: string, output = '') => {
    const file = path.join(dir, name);
    writeFileSync(file, `#!/bin/sh\necho '${output}'\n`, { mode: 0o755 });
    return file;
  };
  const scratch = () => mkdtempSync(path.join(os.tmpdir(), 'hera-cli-'));
  const refuse = jest.fn(async () => {
    throw new Error('getaddrinfo ENOTFOUND temporal.download');
  });
  const noGo = jest.fn(() => {
    throw new Error('go install must not run');
  });
  beforeEach(() => jest.clearAllMocks());

  test('without the CLI, with its download refused and without Go it fails saying how to install it', async () => {
    await expect(resolveTemporalCli({ env: { PATH: '/nonexistent' }, goFallbacks: [], cacheDir: scratch(), download: refuse })).rejects.toThrow(
      /download failed \(getaddrinfo ENOTFOUND temporal\.download\) and Go is not installed.*go install github\.com\/temporalio\/cli\/cmd\/temporal@v1\.5\.1/,
    );
  });

  test('TEMPORAL_CLI wins, and must name an executable', async () => {
    expect(await resolveTemporalCli({ env: { TEMPORAL_CLI: process.execPath, PATH: '' }, goFallbacks: [], download: refuse })).toBe(process.execPath);
    await expect(resolveTemporalCli({ env: { TEMPORAL_CLI: '/nonexistent/temporal' } })).rejects.toThrow(/not an executable/);
    expect(refuse).not.toHaveBeenCalled();
  });

  test('a CLI in the download cache is used without downloading or Go', async () => {
    const cache = scratch();
    const cached = script(cache, cachedCliName);
    expect(cachedCliName).toMatch(/^temporal-sdk-typescript-1\.\d+\.\d+$/);
    expect(await resolveTemporalCli({ env: { PATH: '' }, goFallbacks: [], cacheDir: cache, download: refuse, goInstall: noGo })).toBe(cached);
    expect(refuse).not.toHaveBeenCalled();
    expect(noGo).not.toHaveBeenCalled();
  });

  test('without a CLI it downloads one into the cache, and says so', async () => {
    const cache = scratch();
    const lines: string[] = [];
    const download = jest.fn(async (dest: string) => void script(path.dirname(dest), path.basename(dest)));
    const cli = await resolveTemporalCli({ env: { PATH: '' }, goFallbacks: [], cacheDir: cache, download, goInstall: noGo, log: (l) => lines.push(l) });
    expect(cli).toBe(path.join(cache, cachedCliName));
    expect(download).toHaveBeenCalledWith(cli);
    expect(lines).toEqual([expect.stringMatching(/^downloading the Temporal CLI/), `Temporal CLI downloaded: ${cli}`]);
  });

  test('a refused download falls back to go install, and says so', async () => {
    const [bin, gopath] = [scratch(), scratch()];
    const go = script(bin, 'go', gopath);
    const built = path.join(gopath, 'bin', 'temporal');
    const install = jest.fn(() => {
      mkdirSync(path.dirname(built));
      script(path.dirname(built), 'temporal');
    });
    const lines: string[] = [];
    const cli = await resolveTemporalCli({ env: { PATH: bin }, cacheDir: scratch(), download: refuse, goInstall: install, log: (l) => lines.push(l) });
    expect(cli).toBe(built);
    expect(install).toHaveBeenCalledWith(go);
    expect(lines[1]).toBe(
      'the Temporal CLI download failed (getaddrinfo ENOTFOUND temporal.download); building it instead: go install github.com/temporalio/cli/cmd/temporal@v1.5.1 (first time only, takes minutes)',
    );
  });
});

describe('procedure contracts', () => {
  const contract = (smart_code: string, errors: Record<string, number> = {}) => ({
    smart_code,
    description: 'test',
    kind: 'command' as const,
    roles: ['user'],
    routes: [],
    success_status: 200 as const,
    audit: false,
    errors,
  });
  const implementation = (smartCode: string, handle: () => Promise<unknown>) => ({ smartCode, input: z.object({}), handle });

  test('every shipped contract has exactly one implementation and the reverse', () => {
    expect(() => bindProcedures(loadContracts(), implementations)).not.toThrow();
  });

  test('a contract without implementation, or the reverse, stops startup naming both', () => {
    expect(() =>
      bindProcedures([contract('HERA.UNIV.WF.A.V1')], [implementation('HERA.UNIV.WF.B.V1', async () => ({}))]),
    ).toThrow(/HERA\.UNIV\.WF\.A\.V1 has no implementation.*HERA\.UNIV\.WF\.B\.V1 has no contract/);
  });

  test('a refusal gets its declared status; an undeclared code is a programming error', async () => {
    // The runner checks the database and bounds every command by the configured deadline; neither is called on here.
    const services = {
      config: { HERA_COMMAND_TIMEOUT_MS: 1000 },
      db: { ready: async () => undefined },
      temporal: { connection: { withDeadline: (_d: number, fn: () => unknown) => fn() } },
    };
    const run = createRunner(services as unknown as Services, [contract('HERA.UNIV.WF.X.V1', { NOPE: 409 }), contract('HERA.UNIV.WF.Y.V1')], [
      implementation('HERA.UNIV.WF.X.V1', async () => {
        throw new Refusal('NOPE', 'no');
      }),
      implementation('HERA.UNIV.WF.Y.V1', async () => {
        throw new Refusal('NOPE', 'no');
      }),
    ]);
    const caller = { userId: 'u', organizationId: 'o', roles: ['user'] };
    await expect(run('HERA.UNIV.WF.X.V1', {}, caller)).rejects.toMatchObject({ code: 'NOPE', status: 409 });
    await expect(run('HERA.UNIV.WF.Y.V1', {}, caller)).rejects.toThrow(/does not declare/);
  });
});

describe('the state machine', () => {
  const leave = loadDefinitionCatalog().current('LEAVE_APPROVAL')!;
  test.each([
    [['employee'], undefined, 'DRAFT', 'SUBMITTED', 'employee'],
    [['system'], undefined, 'SUBMITTED', 'MANAGER_REVIEW', 'system'],
    [['system'], 'manager', 'MANAGER_REVIEW', 'APPROVED', 'manager'],
    [['user', 'manager'], undefined, 'MANAGER_REVIEW', 'REJECTED', 'manager'],
  ])('%j acting as %s may move %s → %s as %s', (roles, actorRole, from, to, expected) => {
    expect(chooseTransition(leave, from, to, roles, actorRole)).toMatchObject({ ok: true, actorRole: expected });
  });
  test.each([
    [['admin'], undefined, 'MANAGER_REVIEW', 'APPROVED', 'UNAUTHORIZED_ROLE'],
    [['employee'], 'manager', 'MANAGER_REVIEW', 'APPROVED', 'UNAUTHORIZED_ROLE'],
    [['manager'], undefined, 'DRAFT', 'APPROVED', 'INVALID_TRANSITION'],
  ])('%j acting as %s may not move %s → %s (%s)', (roles, actorRole, from, to, code) => {
    expect(chooseTransition(leave, from, to, roles, actorRole)).toMatchObject({ ok: false, code });
  });
  test('ISO durations', () => {
    expect(durationMs('PT0.2S')).toBe(200);
    expect(durationMs('P1DT2H3M4S')).toBe(((24 + 2) * 60 + 3) * 60_000 + 4000);
    expect(() => durationMs('5 minutes')).toThrow();
  });
  test('the context guard compares a field with a value or another field', () => {
    const guard = (w: Record<string, unknown>) => ({ code: 'HERA.UNIV.WF.GUARD.CONTEXT.v1', with: w });
    expect(evaluateGuard(guard({ field: 'days', op: 'lte', value_field: 'available_days' }), { days: 5, available_days: 15 }).passed).toBe(true);
    expect(evaluateGuard(guard({ field: 'days', op: 'lte', value_field: 'available_days' }), { days: 20, available_days: 15 }).passed).toBe(false);
    expect(evaluateGuard(guard({ field: 'days', op: 'lte', value_field: 'available_days' }), { days: '5', available_days: 15 }).passed).toBe(false);
    expect(evaluateGuard(guard({ field: 'po', op: 'exists' }), {}).passed).toBe(false);
    expect(evaluateGuard(guard({ field: 'tier', op: 'in', value: ['gold', 'silver'] }), { tier: 'gold' }).passed).toBe(true);
  });
});

describe('SLA sweep tiers', () => {
  const hour = 3_600_000;
  const sla = Date.parse('2026-01-02T00:00:00.000Z');
  const clock = { slaAt: new Date(sla).toISOString(), durationMs: 24 * hour, warningLevel: 0, escalationLevel: 0 };

  test.each([
    [-13, { warningLevel: 0, escalationLevel: 0, warn: null, escalate: [], changed: false }],
    [-12, { warningLevel: 1, escalationLevel: 0, warn: 1, escalate: [], changed: true }],
    [-6, { warningLevel: 2, escalationLevel: 0, warn: 2, escalate: [], changed: true }],
    [0, { warningLevel: 2, escalationLevel: 1, warn: null, escalate: [1], changed: true }],
    [2, { warningLevel: 2, escalationLevel: 2, warn: null, escalate: [1, 2], changed: true }],
    [7, { warningLevel: 2, escalationLevel: 3, warn: null, escalate: [1, 2, 3], changed: true }],
  ])('%d h from the deadline, a fresh instance has reached the expected levels', (hours, decision) => {
    expect(slaDecision(clock, sla + hours * hour)).toEqual(decision);
  });

  test('levels only rise, each is announced once, and the next check is the next unreached tier', () => {
    const warned = { ...clock, warningLevel: 1 };
    expect(slaDecision(warned, sla - 12 * hour).changed).toBe(false);
    expect(nextSlaCheck(clock)).toBe(new Date(sla - 12 * hour).toISOString());
    expect(nextSlaCheck(warned)).toBe(new Date(sla - 6 * hour).toISOString());
    expect(nextSlaCheck({ ...clock, warningLevel: 2, escalationLevel: 1 })).toBe(new Date(sla + 2 * hour).toISOString());
    expect(nextSlaCheck({ ...clock, warningLevel: 2, escalationLevel: 3 })).toBeNull();
    expect(nextSlaCheck({ ...clock, slaAt: null })).toBeNull();
    expect(slaDecision({ ...clock, escalationLevel: 2, warningLevel: 2 }, sla + 3 * hour).changed).toBe(false);
  });

  test('tasks are overdue at 1 h and 4 h past their due time; without one, never', () => {
    const due = new Date(sla).toISOString();
    expect([0.5, 1, 3.9, 4, 100].map((h) => overdueLevel(due, sla + h * hour))).toEqual([0, 1, 1, 2, 2]);
    expect(overdueLevel(null, sla + 100 * hour)).toBe(0);
    expect([0, 1, 2].map((level) => nextOverdueCheck(due, level))).toEqual([new Date(sla + hour).toISOString(), new Date(sla + 4 * hour).toISOString(), null]);
  });

  test('the sweep is healthy while its last run is at most two intervals old', () => {
    const interval = 5 * 60_000;
    expect(sweepHealthOf(null, interval, sla)).toMatchObject({ healthy: false, last_run_at: null, age_seconds: null });
    expect(sweepHealthOf(new Date(sla - 2 * interval), interval, sla)).toMatchObject({ healthy: true, age_seconds: 600 });
    expect(sweepHealthOf(new Date(sla - 2 * interval - 1000), interval, sla)).toMatchObject({ healthy: false, interval_seconds: 300 });
  });

  test('sweep durations in the environment are checked when the process starts', () => {
    expect(loadConfig({ HERA_SWEEP_INTERVAL: '30s' }).HERA_SWEEP_INTERVAL).toBe('30s');
    expect(() => loadConfig({ HERA_SWEEP_INTERVAL: 'often' })).toThrow(/HERA_SWEEP_INTERVAL: a positive duration/);
    expect(() => loadConfig({ HERA_TIMER_GRACE: '-1s' })).toThrow(/HERA_TIMER_GRACE/);
    expect(loadConfig({}).HERA_SWEEP_ITEM_TIMEOUT).toBe('20s');
    expect(() => loadConfig({ HERA_SWEEP_ITEM_TIMEOUT: '2m' })).toThrow(/HERA_SWEEP_ITEM_TIMEOUT: at most 50s/);
  });
});

test('the Temporal UI the dashboard links into is an http(s) URL', () => {
  expect(loadConfig({ HERA_TEMPORAL_UI_URL: 'https://temporal.example.com' }).HERA_TEMPORAL_UI_URL).toBe('https://temporal.example.com');
  expect(() => loadConfig({ HERA_TEMPORAL_UI_URL: 'javascript:alert(1)' })).toThrow(/HERA_TEMPORAL_UI_URL/);
  expect(loadConfig({}).HERA_TEMPORAL_UI_URL).toBeUndefined();
});

test('a prebuilt workflow bundle must exist when named (workers load it instead of bundling)', () => {
  expect(() => loadConfig({ HERA_WORKFLOW_BUNDLE: '/nonexistent/workflows.js' })).toThrow(/HERA_WORKFLOW_BUNDLE: no such file/);
  expect(loadConfig({ HERA_WORKFLOW_BUNDLE: __filename }).HERA_WORKFLOW_BUNDLE).toBe(__filename);
  expect(loadConfig({}).HERA_WORKFLOW_BUNDLE).toBeUndefined();
});

test("the database's connection errors are told from a statement's: a lost server, a closed socket, a client handed out broken", () => {
  const withCode = (code: string) => Object.assign(new Error('x'), { code });
  for (const lost of [withCode('08006'), withCode('57P01'), withCode('ECONNRESET'), new Error('Connection terminated unexpectedly'), new Error('Client has encountered a connection error and is not queryable')]) {
    expect(connectionLost(lost)).toBe(true);
  }
  for (const refused of [withCode('23505'), withCode('42P01'), new Error('syntax error')]) expect(connectionLost(refused)).toBe(false);
});
