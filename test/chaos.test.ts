import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkNames } from '../src/chaos/checks';
import { killGroup, killListedGroups } from '../src/chaos/processes';

const repoRoot = path.resolve(__dirname, '..');
/** The short form's own budget; past it the run is stopped, and the test fails on its exit. */
const runDeadlineMs = 160_000;

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * `npm run chaos -- --short` as a child in a process group of its own, on servers of its own (Temporal, PostgreSQL,
 * `hera api`, two `hera worker`s, every port from freePort); whatever happens, every process group it started is
 * killed afterwards (its `pgids` file lists them) and the scratch dir removed.
 */
async function runShortChaos(scratch: string): Promise<Finished> {
  const child = spawn(process.execPath, [require.resolve('tsx/cli'), 'src/chaos/main.ts', '--short', '--scratch', scratch], {
    cwd: repoRoot,
    env: process.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<Pick<Finished, 'code' | 'signal'>>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  // Past the deadline it is asked to stop (it stops what it started), then killed whole.
  const stop = setTimeout(() => killGroup(child.pid!, 'SIGTERM'), runDeadlineMs);
  const kill = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), runDeadlineMs + 10_000);
  try {
    const { code, signal } = await exited;
    return { code, signal, stdout, stderr };
  } finally {
    clearTimeout(stop);
    clearTimeout(kill);
    killGroup(child.pid!, 'SIGKILL');
    killListedGroups(path.join(scratch, 'pgids'));
  }
}

test(
  'chaos, short form: 40 instances through worker kills, an API kill, a PostgreSQL outage and a Temporal restart lose and double nothing',
  async () => {
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'hera-chaos-test-'));
    try {
      const run = await runShortChaos(scratch);
      const lastLine = run.stdout.trim().split('\n').pop() ?? '';
      let summary: any;
      try {
        summary = JSON.parse(lastLine);
      } catch {
        throw new Error(`no JSON summary (exit ${run.code}, signal ${run.signal}); stderr:\n${run.stderr.slice(-4000)}`);
      }
      const zero = Object.fromEntries([...checkNames, 'client_requests_failed', 'clients_stopped', 'answers_500', 'crashes', 'not_quiet'].map((name) => [name, 0]));
      // The findings, failures and crashes are in the comparison, so a failing run shows what it found.
      expect({
        exit: run.code,
        zero: summary.zero,
        findings: summary.findings,
        client_failures: summary.client_failures,
        crashes: summary.crashes,
        // Which requests a 500 answered (operation, instance, attempt), should there be any.
        answers_500: summary.answer_examples['500 INTERNAL'] ?? [],
      }).toEqual({
        exit: 0,
        zero,
        findings: [],
        client_failures: [],
        crashes: [],
        answers_500: [],
      });
      expect(summary.instances).toEqual({ requested: 40, started: 40, driven_to_final: 40, in_database: 40, final: 40 });
      expect(summary.faults).toMatchObject({ api_kills_mid_request: 1, postgres_outages: 1, temporal_restarts: 1 });
      expect(summary.faults.worker_kills).toBeGreaterThanOrEqual(2);
      expect(summary.effects).toMatchObject({ webhook: 120, notify: 120 });
      expect(summary.effects.webhooks_failed_first_on_purpose).toBeGreaterThan(0);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  },
  180_000,
);
