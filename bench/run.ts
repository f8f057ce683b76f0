/**
 * Every benchmark in one command, each figure beside its floor measured in the same run: `npm run bench` (full:
 * the sizes docs/BENCHMARKS.md uses), `npm run bench -- --quick` (or `npm run bench --quick`, which npm passes as
 * npm_config_quick) for a run of a few minutes with small sizes, the slow suites skipped. Each suite runs as a
 * child process that writes its figures to a JSON file; this prints them as one table and writes
 * bench/results/<YYYY-MM-DD>.json.
 *
 *   npm run bench [-- --quick] [-- --only engine,api] [-- --profile DIR]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import type { Figure, Summary } from './support/summary';

interface Suite {
  name: string;
  /** Runs of the suite's script: its arguments (full run, quick run; null = skipped in --quick). */
  runs: Array<{ script: string; full: string[]; quick: string[] | null }>;
}

const suites: Suite[] = [
  { name: 'engine', runs: [{ script: 'engine.ts', full: ['--instances', '200', '--concurrency', '16'], quick: ['--instances', '32', '--concurrency', '16'] }] },
  { name: 'api', runs: [{ script: 'api.ts', full: ['--instances', '10000', '--seconds', '10'], quick: ['--instances', '10000', '--seconds', '3'] }] },
  {
    name: 'lists',
    runs: [
      { script: 'lists.ts', full: ['--instances', '100000'], quick: ['--instances', '20000', '--runs', '50'] },
      { script: 'lists.ts', full: ['--instances', '1000000'], quick: null },
    ],
  },
  { name: 'sweep', runs: [{ script: 'sweep.ts', full: ['--instances', '100000', '--due', '1000'], quick: null }] },
  { name: 'bulk', runs: [{ script: 'bulk.ts', full: ['--instances', '10000', '--concurrency', '32'], quick: null }] },
  { name: 'metrics', runs: [{ script: 'metrics.ts', full: ['--instances', '100000'], quick: ['--instances', '10000', '--runs', '50', '--reference-runs', '3'] }] },
  { name: 'sla', runs: [{ script: 'onTimeSla.ts', full: ['--instances', '10000'], quick: null }] },
];

/** Runs one benchmark script to its end, its output on this process's stderr; answers its summary. */
function runScript(script: string, args: string[], json: string): Promise<Summary> {
  return new Promise((resolve, reject) => {
    // npm_config_quick is this run's: npx would warn that it is no npm setting.
    const { npm_config_quick: _quick, ...env } = process.env;
    const child = spawn('npx', ['tsx', join(__dirname, script), ...args, '--json', json], { env, stdio: ['ignore', process.stderr, process.stderr] });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`${script} ${args.join(' ')} exited with ${code}`));
      readFile(json, 'utf8').then((text) => resolve(JSON.parse(text) as Summary), reject);
    });
  });
}

const num = (v: number | null | undefined, digits = 2) => (v === null || v === undefined ? '' : Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(digits));

function table(figures: Figure[]): string {
  const rows = figures.map((f) =>
    `| ${f.suite} | ${f.figure} | ${f.value === null ? '' : `${num(f.value)} ${f.unit}`} | ${num(f.floor)} | ${num(f.ratio)} | ${f.target ?? ''} | ${f.holds === undefined || f.holds === null ? '' : f.holds ? 'yes' : 'NO'} | ${f.note ?? ''} |`);
  return ['| suite | figure | value | floor | ratio | target | holds | note |', '|---|---|---|---|---|---|---|---|', ...rows].join('\n');
}

async function main(): Promise<void> {
  const options = new Command()
    .option('--quick', 'small sizes, slow suites skipped: a few minutes')
    .option('--only <suites>', `a comma-separated subset of ${suites.map((s) => s.name).join(', ')}`)
    .option('--profile <dir>', 'CPU profiles of the engine and API benchmarks\' processes into this directory')
    .parse()
    .opts<{ quick?: boolean; only?: string; profile?: string }>();
  const quick = Boolean(options.quick) || process.env.npm_config_quick === 'true';
  const only = options.only?.split(',').map((s) => s.trim());
  const unknown = only?.filter((name) => !suites.some((s) => s.name === name)) ?? [];
  if (unknown.length) throw new Error(`unknown suite ${unknown.join(', ')}: one of ${suites.map((s) => s.name).join(', ')}`);
  if (options.profile) await mkdir(options.profile, { recursive: true });
  const scratch = await mkdtemp(join(os.tmpdir(), 'hera-bench-'));
  const began = performance.now();
  const figures: Figure[] = [];
  const details: Record<string, unknown> = {};
  const failures: string[] = [];
  try {
    for (const suite of suites.filter((s) => !only || only.includes(s.name))) {
      for (const [i, run] of suite.runs.entries()) {
        const args = quick ? run.quick : run.full;
        if (args === null) {
          figures.push({ suite: suite.name, figure: `${run.script} ${run.full.join(' ')}`, value: null, unit: '', note: 'skipped in --quick' });
          continue;
        }
        const profiled = options.profile && ['engine', 'api'].includes(suite.name) ? ['--profile', options.profile] : [];
        console.error(`\n== ${suite.name}: npx tsx bench/${run.script} ${[...args, ...profiled].join(' ')}`);
        try {
          const summary = await runScript(run.script, [...args, ...profiled], join(scratch, `${suite.name}-${i}.json`));
          figures.push(...summary.figures);
          if (summary.details) details[`${suite.name}${suite.runs.length > 1 ? `-${i}` : ''}`] = summary.details;
        } catch (error) {
          failures.push(String(error));
          figures.push({ suite: suite.name, figure: `${run.script} ${args.join(' ')}`, value: null, unit: '', holds: false, note: `failed: ${String(error)}` });
        }
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const minutes = (performance.now() - began) / 60_000;
  const targeted = figures.filter((f) => f.holds !== undefined && f.holds !== null);
  const output = table(figures);
  console.log(`\n${output}\n\n${targeted.filter((f) => f.holds).length} of ${targeted.length} targets hold; ${quick ? 'quick' : 'full'} run, ${minutes.toFixed(1)} min`);
  const date = new Date().toISOString().slice(0, 10);
  const resultsDir = join(__dirname, 'results');
  await mkdir(resultsDir, { recursive: true });
  const commit = (() => {
    try {
      return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    } catch {
      return null;
    }
  })();
  const file = join(resultsDir, `${date}.json`);
  const machine = { cpus: os.cpus().length, model: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), loadAverage: os.loadavg(), node: process.version, platform: `${os.platform()} ${os.release()}` };
  await writeFile(file, `${JSON.stringify({ date: new Date().toISOString(), quick, commit, machine, minutes, figures, details }, null, 2)}\n`);
  console.log(`wrote ${file}`);
  if (failures.length) {
    console.error(failures.join('\n'));
    process.exit(1);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
