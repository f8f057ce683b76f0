import { writeFile } from 'node:fs/promises';

/** One measured figure of a benchmark, beside its floor where it has one. */
export interface Figure {
  suite: string;
  figure: string;
  value: number | null;
  unit: string;
  floor?: number | null;
  /** value / floor, or for latencies floor / value: above 1 is better than the floor. */
  ratio?: number | null;
  /** What the ratio (or, without a floor, the value) must reach, e.g. '≥ 0.85' or '≤ 15 ms'. */
  target?: string;
  holds?: boolean | null;
  note?: string;
}

/** What a benchmark run as a child of bench/run.ts writes to its `--json FILE`. */
export interface Summary {
  suite: string;
  figures: Figure[];
  details?: Record<string, unknown>;
}

export async function writeSummary(file: string | undefined, summary: Summary): Promise<void> {
  if (file) await writeFile(file, JSON.stringify(summary, null, 2));
}
