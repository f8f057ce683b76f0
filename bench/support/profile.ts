import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Session } from 'node:inspector/promises';

export interface SelfTime {
  fn: string;
  /** Share of the busy samples (all but idle) spent in the function itself, 0–1. */
  share: number;
}

export interface ProfileSummary {
  /** Share of all samples the main thread was idle, 0–1 (worker threads, e.g. workflow code, are not sampled). */
  idle: number;
  top: SelfTime[];
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/**
 * A CPU profile of this process (what `node --cpu-prof` records) between start and stop; `stop` writes it to
 * `file` (open it in Chrome DevTools) and answers the functions with the most self time.
 */
export async function startProfile(): Promise<{ stop(file: string, top?: number): Promise<ProfileSummary> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(file, top = 12) {
      const { profile } = (await session.post('Profiler.stop')) as { profile: { nodes: ProfileNode[] } };
      session.disconnect();
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, JSON.stringify(profile));
      const byFunction = new Map<string, number>();
      let total = 0;
      let idle = 0;
      for (const node of profile.nodes) {
        const hits = node.hitCount ?? 0;
        total += hits;
        const { functionName, url, lineNumber } = node.callFrame;
        if (functionName === '(idle)') {
          idle += hits;
          continue;
        }
        const where = url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench)\//, '$1/')}:${lineNumber + 1}` : '';
        const key = `${functionName || '(anonymous)'} ${where}`.trim();
        byFunction.set(key, (byFunction.get(key) ?? 0) + hits);
      }
      const busy = Math.max(1, total - idle);
      return {
        idle: idle / Math.max(1, total),
        top: [...byFunction.entries()]
          .sort((a, b) => b[1] - a[1])
          .slice(0, top)
          .map(([fn, hits]) => ({ fn, share: hits / busy })),
      };
    },
  };
}
