/**
 * Runs one embedded PostgreSQL until SIGTERM, then stops it: the child side of `postgresProcess`. Prints
 * `{"url"}` once the server answers.
 */
import { startEmbeddedPostgres } from '../../src/db/provision';

const { HERA_PG_DATA_DIR, HERA_PG_PORT, HERA_PG_DATABASE } = process.env;
startEmbeddedPostgres({ dataDir: HERA_PG_DATA_DIR!, port: Number(HERA_PG_PORT), database: HERA_PG_DATABASE! }).then(
  (server) => {
    process.once('SIGTERM', () => server.stop().then(() => process.exit(0)));
    process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  },
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
