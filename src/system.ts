import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './api/app';
import { openApiDocument } from './api/openapi';
import { createTokenVerifier } from './auth/jwt';
import { createOrganizationGate } from './auth/organizationGate';
import { tokenKeys } from './auth/secret';
import { durationMs, type Config } from './config';
import { dbOptions, openDb } from './db/pool';
import { insertAuditEvent } from './db/queries/audit';
import { organizationStatus } from './db/queries/organizations';
import { loadDefinitionCatalog } from './definitions/catalog';
import { logger } from './logger';
import { provideSweepHealth } from './metrics';
import { implementations } from './procedures';
import { readSweepHealth } from './procedures/scheduler/health';
import { loadContracts, type Contract } from './procedures/contracts';
import { createRunner, type RunProcedure } from './procedures/runner';
import type { Services } from './procedures/types';
import { createRoleDirectory } from './directory/roles';
import { connectClient } from './temporal/connection';
import { sweepScheduleId } from './temporal/schedule';
import { cachedNumbers, provideWorkflowNumbers, readOrganizationNumbers } from './workflowGauges';

export interface System {
  services: Services;
  contracts: Contract[];
  runProcedure: RunProcedure;
  close(): Promise<void>;
}

/** Opens what procedures need (database pool of the runtime role at `databaseUrl`, Temporal client, definitions). */
export async function openSystem(config: Config, databaseUrl: string): Promise<System> {
  // Read before anything is opened: a bad contract stops the process with nothing to close.
  const contracts = loadContracts();
  const definitions = loadDefinitionCatalog();
  const db = await openDb(dbOptions(config, databaseUrl));
  const temporal = await connectClient(config).catch(async (error: unknown) => {
    await db.close();
    throw error;
  });
  const services: Services = {
    config,
    db,
    temporal,
    definitions,
    roles: createRoleDirectory(db),
    audit: (org, event) => db.withOrg(org, (sql) => insertAuditEvent(sql, org, event)),
  };
  const withdrawSweepHealth = provideSweepHealth(() => readSweepHealth(services));
  const withdrawWorkflowNumbers = provideWorkflowNumbers(
    cachedNumbers((nowMs) => readOrganizationNumbers(db, nowMs), durationMs(config.HERA_METRICS_CACHE_TTL)),
  );
  return {
    services,
    contracts,
    runProcedure: createRunner(services, contracts, implementations),
    close: async () => {
      withdrawSweepHealth();
      withdrawWorkflowNumbers();
      await temporal.connection.close();
      await db.close();
    },
  };
}

export interface RunningApi {
  server: http.Server;
  url: string;
  close(): Promise<void>;
  /**
   * Stops taking connections (new ones are refused, idle ones closed) and resolves once the requests in flight
   * have been answered, each closing its connection.
   */
  drain(): Promise<void>;
}

/** Whether `check` answers within 5 s; why not goes to the log only (driver messages name hosts and users). */
async function answers(dependency: 'database' | 'temporal', check: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([check(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5_000)))]);
    return true;
  } catch (error) {
    logger.warn({ err: error, dependency }, 'readiness check failed');
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Serves the API of `system` on `port` (0 = any free port) and `host` (by default HOST, else loopback only). */
export async function startApi(config: Config, system: System, port: number, host = config.HOST ?? '127.0.0.1'): Promise<RunningApi> {
  const verifyToken = createTokenVerifier(tokenKeys(config), { issuer: config.HERA_JWT_ISSUER, audience: config.HERA_JWT_AUDIENCE });
  const { db } = system.services;
  const app = createApp({
    contracts: system.contracts,
    openApi: openApiDocument(system.contracts, implementations),
    runProcedure: system.runProcedure,
    verifyToken,
    admitOrganization: createOrganizationGate((org) => db.withOrg(org, (sql) => organizationStatus(sql, org))),
    checkReady: async () => {
      const [database, temporal] = await Promise.all([
        answers('database', () => db.pool.query('select 1')),
        answers('temporal', () => system.services.temporal.connection.workflowService.getSystemInfo({})),
      ]);
      return [...(database ? [] : ['database' as const]), ...(temporal ? [] : ['temporal' as const])];
    },
    rateLimit: { rps: config.HERA_RATE_LIMIT_RPS, burst: config.HERA_RATE_LIMIT_BURST },
    dashboard: { temporalUiUrl: config.HERA_TEMPORAL_UI_URL ?? null, namespace: config.TEMPORAL_NAMESPACE, sweepScheduleId },
  });
  let draining = false;
  const inFlight = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    // A request that raced the drain on an open connection is served, then its connection closes.
    if (draining) res.setHeader('connection', 'close');
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    app(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound, address } = server.address() as AddressInfo;
  // A wildcard address is reached through loopback; a named one as itself.
  const reachable = ['0.0.0.0', '::'].includes(address) ? '127.0.0.1' : address.includes(':') ? `[${address}]` : address;
  return {
    server,
    url: `http://${reachable}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    drain: () =>
      new Promise<void>((resolve) => {
        draining = true;
        for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
