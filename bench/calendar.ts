/**
 * Working-time math speed: µs per deadline a year out (see `support/yearOutDeadline.ts`), with the calendar
 * compiled once and with its rules compiled on every call, and ms to resolve three years of Europe/Berlin's offsets.
 *
 *   npx tsx bench/calendar.ts [--runs 20000]
 */
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { compileCalendar } from '../src/domain/calendar/workingCalendar';
import { addWorkingMinutes } from '../src/domain/calendar/workingTime';
import { resolveZoneRules } from '../src/domain/calendar/zoneRules';
import { yearOutDeadline } from './support/yearOutDeadline';

const { runs } = new Command().option('--runs <n>', 'calls per measurement', Number, 20000).parse().opts<{ runs: number }>();

/** Mean ms per call of `fn`, after as many warm-up calls. */
function mean(fn: () => unknown, times: number): number {
  for (let i = 0; i < times; i++) fn();
  const started = performance.now();
  for (let i = 0; i < times; i++) fn();
  return (performance.now() - started) / times;
}

const { rules, zone, startMs, minutes } = yearOutDeadline();
const calendar = compileCalendar(rules);
const due = addWorkingMinutes(calendar, zone, startMs, minutes);
console.log(`${minutes} working minutes from ${new Date(startMs).toISOString()}: due ${new Date(due).toISOString()}`);
const compiled = mean(() => addWorkingMinutes(calendar, zone, startMs, minutes), runs);
console.log(`calendar compiled once: ${(compiled * 1000).toFixed(1)} µs per deadline`);
const perCall = mean(() => addWorkingMinutes(rules, zone, startMs, minutes), runs);
console.log(`rules compiled per call: ${(perCall * 1000).toFixed(1)} µs per deadline`);
const from = Date.parse('2026-01-01T00:00:00Z');
const resolve = mean(() => resolveZoneRules('Europe/Berlin', from, from + 3 * 365 * 86_400_000), 20);
console.log(`resolveZoneRules('Europe/Berlin', 3 years): ${resolve.toFixed(2)} ms`);
