import { attempted, type BulkCounts, type BulkStatus } from '../bulkContract';

/** Counts by code as `CODE n, CODE n`, or `none`. */
const byCode = (counts: Record<string, number>) =>
  Object.entries(counts).map(([code, n]) => `${code} ${n}`).join(', ') || 'none';

/**
 * The job as the Temporal UI's workflow page shows it ("current details", Markdown): status and progress.
 * Pure, so the workflow sets it after every batch without touching history.
 */
export function bulkDetails(operation: string, status: BulkStatus, counts: BulkCounts | null): string {
  if (!counts) return `**Bulk ${operation}:** ${status}, freezing the selection`;
  const done = attempted(counts);
  const percent = counts.matched ? Math.floor((done / counts.matched) * 100) : 100;
  // Blank lines between blocks: the UI's Markdown joins single line breaks into one paragraph.
  return [
    `**Bulk ${operation}:** ${status} · ${done} of ${counts.matched} instances (${percent} %)`,
    `**Done:** ${counts.done}`,
    `**Skipped:** ${byCode(counts.skipped)}`,
    `**Failed:** ${byCode(counts.failed)}`,
    `**Not attempted:** ${counts.matched - done}`,
  ].join('\n\n');
}
