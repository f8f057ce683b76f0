import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Timeline } from './timeline';

/** How one run of a supervised process ended, and whether the chaos run asked for it. */
export interface ProcessExit {
  name: string;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** SIGKILLed or stopped by the chaos run; anything else is a crash. */
  expected: boolean;
  at: string;
  /** The end of its log, for a crash. */
  logTail?: string;
}

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** A line in its output that says it is ready. */
  readyLine: string;
  readyTimeoutMs: number;
}

const tail = (file: string, chars = 1500) => {
  try {
    return readFileSync(file, 'utf8').slice(-chars);
  } catch {
    return '';
  }
};

/**
 * One server process of the system under test (`hera api`, `hera worker`), started in its own process group so
 * a SIGKILL takes it whole; its output goes to a log file in the scratch dir, every start's pgid to `pgids`
 * (so whoever started the chaos run can still kill it if the run itself is killed).
 */
export class Supervised {
  private child?: ChildProcess;
  private expectingExit = false;
  private starting?: Promise<void>;
  private readonly logFile: string;
  starts = 0;

  constructor(
    private readonly spec: ProcessSpec,
    private readonly scratch: string,
    private readonly timeline: Timeline,
    private readonly exits: ProcessExit[],
    /** Called on a crash (an exit the run did not cause): the supervisor decides whether to restart. */
    private readonly onCrash: (process: Supervised) => void,
  ) {
    this.logFile = path.join(scratch, 'logs', `${spec.name}.log`);
  }

  get name(): string {
    return this.spec.name;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Starts the process and resolves once its ready line is in its log; rejects if it exits first or times out.
   * A start already under way (a crash restart and a planned one at once) is joined, never doubled.
   */
  start(): Promise<void> {
    if (this.starting) return this.starting;
    if (this.running) return Promise.resolve();
    this.starting = this.spawnAndWait().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async spawnAndWait(): Promise<void> {
    this.starts += 1;
    appendFileSync(this.logFile, `\n--- start ${this.starts} at ${new Date().toISOString()}\n`);
    const offset = readFileSync(this.logFile).length;
    const fd = openSync(this.logFile, 'a');
    const child = spawn(this.spec.command, this.spec.args, { cwd: this.spec.cwd, env: this.spec.env, detached: true, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    this.child = child;
    this.expectingExit = false;
    appendFileSync(path.join(this.scratch, 'pgids'), `${child.pid}\n`);
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        const expected = this.expectingExit;
        this.exits.push({ name: this.name, pid: child.pid!, code, signal, expected, at: new Date().toISOString(), ...(expected ? {} : { logTail: tail(this.logFile) }) });
        if (!expected) {
          this.timeline.event(`CRASH ${this.name} (pid ${child.pid}) exited code=${code} signal=${signal}`);
          this.onCrash(this);
        }
        resolve();
      });
    });
    const deadline = Date.now() + this.spec.readyTimeoutMs;
    for (;;) {
      if (readFileSync(this.logFile).subarray(offset).toString().includes(this.spec.readyLine)) return;
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${this.name} exited before it was ready (code ${child.exitCode}, signal ${child.signalCode})`);
      if (Date.now() > deadline) throw new Error(`${this.name} not ready within ${this.spec.readyTimeoutMs} ms`);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 100))]);
    }
  }

  /** SIGKILLs its process group and waits for the exit (an expected one). */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    this.expectingExit = true;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    killGroup(child.pid!, signal);
    // A SIGTERM that does not end it within 10 s is followed by a SIGKILL.
    const escalate = signal === 'SIGKILL' ? undefined : setTimeout(() => killGroup(child.pid!, 'SIGKILL'), 10_000);
    await exited;
    if (escalate) clearTimeout(escalate);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }
}

/** Signals a whole process group; a group already gone is fine. */
export function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** SIGKILLs every process group listed in a chaos run's `pgids` file (for a run that was itself killed). */
export function killListedGroups(pgidsFile: string): void {
  let text = '';
  try {
    text = readFileSync(pgidsFile, 'utf8');
  } catch {
    return;
  }
  for (const line of text.split('\n')) {
    const pgid = Number(line);
    if (Number.isInteger(pgid) && pgid > 1) killGroup(pgid, 'SIGKILL');
  }
}
