/** What the global setup started, as the test files see it (through environment variables). */
export interface TestEnvironment {
  /** The migrating (owner) user's URL; the runtime connects with it and acts as the app role. */
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  jwtSecret: string;
}

export function testEnvironment(): TestEnvironment {
  const { HERA_TEST_DATABASE_URL, TEMPORAL_ADDRESS, HERA_TASK_QUEUE, HERA_JWT_SECRET } = process.env;
  if (!HERA_TEST_DATABASE_URL || !TEMPORAL_ADDRESS || !HERA_TASK_QUEUE || !HERA_JWT_SECRET) {
    throw new Error('the test environment is missing: run the tests through jest, whose global setup starts it');
  }
  return {
    databaseUrl: HERA_TEST_DATABASE_URL,
    temporalAddress: TEMPORAL_ADDRESS,
    taskQueue: HERA_TASK_QUEUE,
    jwtSecret: HERA_JWT_SECRET,
  };
}
