/** The run's printed timeline: every fault and recovery, seconds since the run began. */
export class Timeline {
  readonly events: Array<{ t: number; event: string }> = [];
  private readonly startedAt = Date.now();

  constructor(private readonly write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)) {}

  /** Seconds since the run began. */
  now(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  event(event: string): void {
    const t = this.now();
    this.events.push({ t, event });
    this.write(`[chaos +${t.toFixed(3).padStart(8)}s ${new Date().toISOString()}] ${event}`);
  }
}
