const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

/**
 * Seconds the slow files took in a measured run on the 2-core machine (the others count 2). They only balance
 * the shards: a stale number makes one shard longer, never a test wrong.
 */
const weights = {
  'chaos.test.ts': 69,
  'sweep.test.ts': 48,
  'onTimeSla.test.ts': 15,
  'calendarSla.test.ts': 8,
  'slaExplain.test.ts': 8,
  'workCalendars.test.ts': 8,
  'metrics.test.ts': 25,
  'workflowTaskFailure.test.ts': 36,
  'temporalOutage.test.ts': 30,
  'gracefulShutdown.test.ts': 22,
  'activityTimeouts.test.ts': 21,
  'longLived.test.ts': 19,
  'schedule.test.ts': 18,
  'admin.test.ts': 15,
  'cli.test.ts': 13,
  'operations.test.ts': 34,
  'cliOps.test.ts': 70,
  'temporalUi.test.ts': 11,
  'dashboard.test.ts': 25,
  'databaseOutage.test.ts': 15,
  'timers.test.ts': 7,
  'replay.test.ts': 5,
  'tracing.test.ts': 20,
  'instanceFilters.test.ts': 6,
  'modify.test.ts': 12,
  'bulk.test.ts': 40,
  'bulkRecovery.test.ts': 60,
  'calendars.test.ts': 23,
  'prometheusGauges.test.ts': 13,
  'prometheusExport.test.ts': 13,
};
const weightOf = (test) => weights[path.basename(test.path)] ?? 2;

/** Shards by weight (heaviest first, each to the lightest shard) instead of by count. */
class BalancedSequencer extends Sequencer {
  shard(tests, { shardIndex, shardCount }) {
    const loads = new Array(shardCount).fill(0);
    const picked = [];
    for (const test of [...tests].sort((a, b) => weightOf(b) - weightOf(a) || a.path.localeCompare(b.path))) {
      const lightest = loads.indexOf(Math.min(...loads));
      loads[lightest] += weightOf(test);
      if (lightest === shardIndex - 1) picked.push(test);
    }
    return picked;
  }
}

module.exports = BalancedSequencer;
