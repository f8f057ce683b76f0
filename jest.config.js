/**
 * Two tiers. `workflow`: the instance workflow on a Temporal dev server of its own with in-memory activities
 * (no database). `integration`: everything against one Temporal dev server, one database and one worker that
 * the global setup starts, so its suites run in band.
 */
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] };

module.exports = {
  testTimeout: 60000,
  // `npm test` runs the integration project in two shards side by side, each with servers of its own.
  testSequencer: '<rootDir>/test/support/sequencer.js',
  projects: [
    {
      displayName: 'workflow',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/workflow'],
      testMatch: ['**/*.test.ts'],
      transform,
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      roots: ['<rootDir>/test'],
      testMatch: ['<rootDir>/test/*.test.ts'],
      transform,
      globalSetup: '<rootDir>/test/support/globalSetup.ts',
      globalTeardown: '<rootDir>/test/support/globalTeardown.ts',
    },
  ],
};
