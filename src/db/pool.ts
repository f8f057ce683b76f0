import pg from 'pg';

export type Sql = pg.PoolClient;

export interface Db {
  readonly pool: pg.Pool;
  /** Runs `work` in one transaction whose row-level security admits only `organizationId`'s rows. */
  withOrg<T>(organizationId: string, work: (sql: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DbOptions {
  url: string;
  /** Non-superuser role the runtime acts as, so row-level security applies (superusers bypass it). */
  role: string;
  max?: number;
}

export function createDb({ url, role, max = 10 }: DbOptions): Db {
  // The role is set at connection start-up, before any query can run on the connection.
  const pool = new pg.Pool({ connectionString: url, max, options: `-c role=${role}` });
  pool.on('error', () => {
    // An idle client lost its server (e.g. a database restart); the pool replaces it on the next checkout.
  });
  return {
    pool,
    async withOrg(organizationId, work) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        await client.query("select set_config('hera.org_id', $1, true)", [organizationId]);
        const result = await work(client);
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
