import { readdirSync, readFileSync } from 'node:fs';

/** CPU seconds used so far by each process read: its pid → which (`self` or a name) and the seconds. */
export type CpuSeconds = Map<number, { key: string; seconds: number }>;

/** Clock ticks per second of /proc/<pid>/stat's times: 100 on Linux (USER_HZ). */
const ticksPerSecond = 100;

/**
 * Reads the user + system CPU time of this process (`self`, all its threads: API, worker, client) and of the other
 * processes named (e.g. the Temporal dev server, PostgreSQL's backends). Null where /proc is not there.
 */
export function cpuSeconds(names: readonly string[]): CpuSeconds | null {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return null;
  }
  const totals: CpuSeconds = new Map();
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    // Fields after the command: state is the first, utime the 12th and stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const seconds = (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
    const key = Number(pid) === process.pid ? 'self' : names.find((n) => command.startsWith(n));
    if (key) totals.set(Number(pid), { key, seconds });
  }
  return totals;
}

/**
 * CPU milliseconds per unit of work between two readings, by `self` and name: what each process running at the
 * second reading used since the first (all of it, if it started since). A process that ended between them is
 * not counted (PostgreSQL's backends live as long as the pools' connections).
 */
export function cpuMsPer(before: CpuSeconds | null, after: CpuSeconds | null, names: readonly string[], units: number): Record<string, number> | null {
  if (!before || !after) return null;
  const ms: Record<string, number> = Object.fromEntries([['self', 0], ...names.map((n) => [n, 0])]);
  for (const [pid, { key, seconds }] of after) ms[key] += (seconds - (before.get(pid)?.seconds ?? 0)) * 1000;
  return Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, v / units]));
}
