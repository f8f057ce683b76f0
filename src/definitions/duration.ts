import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { z } from 'zod';

const isoDuration = /^P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;
/** The short form Temporal users write (200ms, 30s, 5m, 1.5h, 2d); the SDK's parser would also take "5 minutes". */
const shortDuration = /^\d+(\.\d+)?(ms|s|m|h|d)$/;

/** Milliseconds as an ISO-8601 duration with whole units where they fit: 200 → PT0.2S, 90 000 → PT1M30S, 2 days → P2D. */
export function isoFromMs(ms: number): string {
  const whole = Math.round(ms);
  const days = Math.floor(whole / 86_400_000);
  const hours = Math.floor((whole % 86_400_000) / 3_600_000);
  const minutes = Math.floor((whole % 3_600_000) / 60_000);
  const seconds = (whole % 60_000) / 1000;
  const time = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${seconds ? `${seconds}S` : ''}`;
  if (!days && !time) return 'PT0S';
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}

/** A duration as ISO-8601, from either form; undefined when it is neither. */
export function toIsoDuration(value: string): string | undefined {
  if (isoDuration.test(value)) return value;
  if (shortDuration.test(value)) return isoFromMs(msToNumber(value as Duration));
  return undefined;
}

/**
 * A duration in a definition or request: ISO-8601 (PT5M) or the short form (5m), always ISO-8601 once parsed,
 * so workflow code, stored definitions, answers and recorded histories only ever see ISO-8601.
 */
export const durationSchema = z.string().transform((value, ctx) => {
  const iso = toIsoDuration(value);
  if (iso === undefined) {
    ctx.addIssue({ code: 'custom', message: 'a duration such as PT5M or 5m (units ms, s, m, h, d)', abort: true });
    return z.NEVER;
  }
  return iso;
});
