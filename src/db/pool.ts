import pg from 'pg';
import type { Config } from '../config';
import { DatabaseUnavailable } from '../errors';
import { tracingOn } from '../tracing';
import { TracedClient } from './tracedClient';

export type Sql = pg.PoolClient;

export interface Db {
  readonly pool: pg.Pool;
  /** Runs `work` in one transaction whose row-level security admits only `organizationId`'s rows. */
  withOrg<T>(organizationId: string, work: (sql: Sql) => Promise<T>): Promise<T>;
  /**
   * Resolves once the server answers a round trip, or answered one within the last second with no connection
   * lost since; DatabaseUnavailable when it does not (e.g. it is down).
   */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export interface DbOptions {
  /** The runtime's own login role (HERA_APP_DATABASE_URL): neither superuser nor BYPASSRLS, so RLS applies. */
  url: string;
  max: number;
  /** How long a caller waits for a connection before DatabaseUnavailable. */
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
}

/** The pool settings of the configuration, for the runtime role's `url`. */
export function dbOptions(config: Config, url: string): DbOptions {
  return {
    url,
    max: config.HERA_DB_POOL_MAX,
    connectTimeoutMs: config.HERA_DB_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.HERA_DB_STATEMENT_TIMEOUT_MS,
    idleInTransactionTimeoutMs: config.HERA_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
  };
}

/**
 * Refuses a role that row-level security would not bind: a superuser or BYPASSRLS login (session_user), or
 * one acting as such (current_user).
 */
async function refuseUnboundRole(pool: pg.Pool): Promise<void> {
  const { rows } = await pool.query<{ rolname: string; rolsuper: boolean; rolbypassrls: boolean }>(
    'select rolname, rolsuper, rolbypassrls from pg_roles where rolname in (current_user, session_user)',
  );
  const unbound = rows.filter((r) => r.rolsuper || r.rolbypassrls);
  if (unbound.length) {
    const what = unbound.map((r) => `${r.rolname} (${[r.rolsuper && 'SUPERUSER', r.rolbypassrls && 'BYPASSRLS'].filter(Boolean).join(', ')})`);
    throw new Error(
      `refusing to serve as database role ${what.join(' and ')}: row-level security would not apply; ` +
        'connect with HERA_APP_DATABASE_URL as the hera_app login role (`hera migrate` provisions it)',
    );
  }
}

/**
 * Whether `error` is the connection's rather than the statement's: the server went away under it (a restart, a
 * failover, a terminated backend). SQLSTATE class 08 is a connection exception; 57P01–57P03 a server shutting
 * down or starting; the driver's own messages a socket that closed, or a client whose socket broke while idle
 * (the pool can hand one out before its 'error' event removed it).
 */
export function connectionLost(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && (code.startsWith('08') || ['57P01', '57P02', '57P03', 'ECONNRESET', 'EPIPE'].includes(code))) return true;
  return error instanceof Error && (error.message.startsWith('Connection terminated') || error.message.startsWith('Client has encountered a connection error'));
}

/** How long a server's answer vouches that it is up, for `ready()`. */
const answerFreshMs = 1_000;

/** A pool of the runtime role's connections, opened once the role is known to be bound by row-level security. */
export async function openDb({ url, max, connectTimeoutMs, statementTimeoutMs, idleInTransactionTimeoutMs }: DbOptions): Promise<Db> {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: connectTimeoutMs,
    // Sent at connection start-up, so they bound every statement and every transaction a handler leaves open.
    statement_timeout: statementTimeoutMs,
    idle_in_transaction_session_timeout: idleInTransactionTimeoutMs,
    ...(tracingOn() ? { Client: TracedClient } : {}),
  });
  // When the server last answered: a transaction committed moments ago says as much as a probe would, so under
  // load a command's readiness check costs no round trip. A lost connection forgets it.
  let answeredAt = 0;
  const serverLost = () => {
    answeredAt = 0;
  };
  // An idle client lost its server (e.g. a database restart); the pool replaces it on the next checkout.
  pool.on('error', serverLost);
  try {
    await refuseUnboundRole(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return {
    pool,
    async withOrg(organizationId, work) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        serverLost();
        throw new DatabaseUnavailable(error);
      }
      // A client whose rollback failed may still hold the transaction (and its organization): it is destroyed.
      // So is one whose session the server ended while it was checked out (e.g. the idle-in-transaction
      // timeout), whose 'error' event would otherwise have no listener and stop the process.
      let broken: Error | undefined;
      const lost = (error: Error) => {
        broken = error;
      };
      client.on('error', lost);
      try {
        await client.query('begin');
        await client.query("select set_config('hera.org_id', $1, true)", [organizationId]);
        const result = await work(client);
        await client.query('commit');
        answeredAt = Date.now();
        return result;
      } catch (error) {
        await client.query('rollback').catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        // A lost session is the database being away, not the request being wrong: a 503 to retry.
        if (!connectionLost(error)) throw error;
        serverLost();
        throw new DatabaseUnavailable(error);
      } finally {
        client.off('error', lost);
        client.release(broken);
      }
    },
    async ready() {
      if (Date.now() - answeredAt < answerFreshMs) return;
      try {
        await pool.query('select 1');
        answeredAt = Date.now();
      } catch (error) {
        serverLost();
        throw new DatabaseUnavailable(error);
      }
    },
    close: () => pool.end(),
  };
}
