import fc from 'fast-check';
import { loadDefinitionCatalog } from '../src/definitions/catalog';
import { definitionSchema, pinDefinition } from '../src/definitions/schema';
import { passesGate } from '../src/procedures/roles';
import { decodeCursor, encodeCursor } from '../src/procedures/pagination';
import { resolveTemporalCli } from '../src/temporal/cli';
import { devServerArgs } from '../src/temporal/devServer';
import { z } from 'zod';

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
  const schema = z.object({ createdAt: z.string(), instanceId: z.string() });
  test('round-trip any position', () => {
    fc.assert(
      fc.property(fc.string(), fc.uuid(), (createdAt, instanceId) => {
        expect(decodeCursor(encodeCursor({ createdAt, instanceId }), schema)).toEqual({ createdAt, instanceId });
      }),
    );
  });
  test('any other string is INVALID_PAGINATION, never a crash', () => {
    fc.assert(
      fc.property(fc.string(), (junk) => {
        try {
          decodeCursor(junk, schema);
        } catch (error) {
          expect((error as { code: string }).code).toBe('INVALID_PAGINATION');
        }
      }),
    );
  });
});

test('the dev server is started with every search attribute and the update flags', () => {
  const args = devServerArgs({ cliPath: 'temporal', port: 7233 }).join(' ');
  for (const sa of ['HeraOrganizationId=Keyword', 'HeraPaused=Bool', 'HeraSlaAt=Datetime']) expect(args).toContain(sa);
  expect(args).toContain('frontend.enableUpdateWorkflowExecution=true');
  expect(args).toContain('frontend.enableExecuteMultiOperation=true');
  expect(args).toContain('--headless');
});

describe('Temporal CLI resolution', () => {
  test('without the CLI and without Go it fails saying how to install it', () => {
    expect(() => resolveTemporalCli({ env: { PATH: '/nonexistent' }, goFallbacks: [] })).toThrow(
      /Go is not installed.*go install github\.com\/temporalio\/cli\/cmd\/temporal@v1\.5\.1/,
    );
  });

  test('TEMPORAL_CLI wins, and must name an executable', () => {
    expect(resolveTemporalCli({ env: { TEMPORAL_CLI: process.execPath, PATH: '' }, goFallbacks: [] })).toBe(process.execPath);
    expect(() => resolveTemporalCli({ env: { TEMPORAL_CLI: '/nonexistent/temporal' } })).toThrow(/not an executable/);
  });
});
