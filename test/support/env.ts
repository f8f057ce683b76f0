/** What the global setup started, as the test files see it (through environment variables). */
export interface TestEnvironment {
  /** The migrating (owner) user's URL. */
  databaseUrl: string;
  /** The runtime's login role (in the hera_app group): what APIs and workers connect as. */
  appDatabaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  jwtSecret: string;
}

export function testEnvironment(): TestEnvironment {
  const { HERA_TEST_DATABASE_URL, HERA_APP_DATABASE_URL, TEMPORAL_ADDRESS, HERA_TASK_QUEUE, HERA_JWT_SECRET } = process.env;
  if (!HERA_TEST_DATABASE_URL || !HERA_APP_DATABASE_URL || !TEMPORAL_ADDRESS || !HERA_TASK_QUEUE || !HERA_JWT_SECRET) {
    throw new Error('the test environment is missing: run the tests through jest, whose global setup starts it');
  }
  return {
    databaseUrl: HERA_TEST_DATABASE_URL,
    appDatabaseUrl: HERA_APP_DATABASE_URL,
    temporalAddress: TEMPORAL_ADDRESS,
    taskQueue: HERA_TASK_QUEUE,
    jwtSecret: HERA_JWT_SECRET,
  };
}
