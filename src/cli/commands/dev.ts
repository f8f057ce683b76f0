import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Runtime } from '@temporalio/worker';
import { Command, InvalidArgumentError } from 'commander';
import { signToken } from '../../auth/jwt';
import { resolveJwtSecret } from '../../auth/secret';
import { heraHome, loadConfig } from '../../config';
import { migrate } from '../../db/migrate';
import { localAppUrl, provisionAppRole } from '../../db/appRole';
import { dbOptions, openDb } from '../../db/pool';
import { systemActorId } from '../../db/queries/codes';
import { ensureOrganization } from '../../db/queries/organizations';
import { resolveDatabase } from '../../db/resolve';
import { logger } from '../../logger';
import type { Caller } from '../../procedures/types';
import { openSystem, startApi, type System } from '../../system';
import { resolveTemporalCli } from '../../temporal/cli';
import { quietSdkLogger } from '../../temporal/sdkLogger';
import { startDevServer } from '../../temporal/devServer';
import { triggerSweep } from '../../temporal/schedule';
import { startTracing, stopTracing } from '../../tracing';
import { createHeraWorker } from '../../worker';
import { shutdown, untilSignal } from '../lifecycle';

/** The demo administrator's fixed id, so every `hera dev` run hands out a token for the same user. */
const demoAdminId = '00000000-0000-4000-8000-0000000000ad';
const demoEmployeeId = '00000000-0000-4000-8000-0000000000e1';

/** On a developer's machine webhook receivers run locally: loopback is open unless HERA_WEBHOOK_ALLOW is set. */
const devWebhookAllow = '127.0.0.0/8,::1';

/** Demo directory and one leave request; every call is idempotent, so a second run changes nothing. */
async function seedDemo(system: System, caller: Caller): Promise<void> {
  const run = (code: string, input: Record<string, unknown>, idempotencyKey?: string) =>
    system.runProcedure(code, input, caller, { idempotencyKey });
  await run('HERA.UNIV.WF.DIRECTORY.TEAM.PUT.V1', { team_code: 'operations', name: 'Operations' });
  await run('HERA.UNIV.WF.DIRECTORY.USER.PUT.V1', {
    user_id: demoAdminId,
    name: 'Demo Admin',
    roles: ['admin', 'manager'],
    teams: ['operations'],
  });
  await run('HERA.UNIV.WF.DIRECTORY.USER.PUT.V1', {
    user_id: demoEmployeeId,
    name: 'Demo Employee',
    roles: ['employee'],
    manager_user_id: demoAdminId,
  });
  await run(
    'HERA.UNIV.WF.START.V1',
    {
      definition_code: 'LEAVE_APPROVAL',
      subject_ref: { entity_id: 'emp_1', entity_type: 'leave_request' },
      context: { leave_type: 'annual', days: 5, available_days: 15 },
    },
    'demo-leave-request',
  );
}

/** The Temporal UI's workflow list filtered to paused instances (the search attribute HERA keeps). */
const pausedInUi = (uiUrl: string, namespace: string) =>
  `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent('HeraPaused = true')}`;

interface DevOptions {
  port?: string;
  temporalPort: string;
  uiPort?: string;
}

function portNumber(value: string): string {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError('expected a port number');
  return value;
}

export const devCommand = new Command('dev')
  .description('run everything on embedded defaults: database, Temporal dev server with UI, worker, API, demo data')
  .option('--port <port>', 'API port (default: PORT or 3000)', portNumber)
  .option('--temporal-port <port>', 'Temporal dev server port; ignored when TEMPORAL_ADDRESS is set', portNumber, '7233')
  .option('--ui-port <port>', 'Temporal Web UI port (default: Temporal port + 1000)', portNumber)
  .action(async (options: DevOptions) => {
    Runtime.install({ logger: quietSdkLogger() });
    const steps: Array<[string, () => Promise<unknown>]> = [];
    const stopAll = () => shutdown(steps.reverse(), (line) => logger.error(line));
    try {
      mkdirSync(heraHome, { recursive: true });
      // `hera dev` alone may make up the API's secret: kept in .hera/, so its tokens outlive a restart.
      const loaded = loadConfig();
      const jwtSecret = resolveJwtSecret(loaded);
      let config = { ...loaded, HERA_JWT_SECRET: jwtSecret, HERA_WEBHOOK_ALLOW: loaded.HERA_WEBHOOK_ALLOW ?? devWebhookAllow };
      // One provider for the worker and the API of this process; stopped last, after both.
      if (startTracing(config, { service: 'hera-dev' })) steps.push(['tracing', () => stopTracing()]);

      const database = await resolveDatabase(config);
      steps.push(['database', () => database.stop()]);
      await migrate(database.url);
      // The runtime connects as its own login role, as in production; a fresh password each run unless given.
      const appUrl = config.HERA_APP_DATABASE_URL ?? localAppUrl(database.url);
      await provisionAppRole(database.url, appUrl);

      let uiUrl: string | undefined;
      if (!process.env.TEMPORAL_ADDRESS) {
        const port = Number(options.temporalPort);
        const server = await startDevServer({
          cliPath: await resolveTemporalCli({ log: (line) => logger.info(line) }),
          port,
          uiPort: options.uiPort ? Number(options.uiPort) : port + 1000,
          dbFile: path.join(heraHome, 'temporal.db'),
          namespace: config.TEMPORAL_NAMESPACE,
        });
        steps.push(['temporal dev server', () => server.stop()]);
        uiUrl = server.uiUrl;
        config = { ...config, TEMPORAL_ADDRESS: server.address, HERA_TEMPORAL_UI_URL: config.HERA_TEMPORAL_UI_URL ?? uiUrl };
      }
      const workerDb = await openDb(dbOptions(config, appUrl));
      steps.push(['worker database pool', () => workerDb.close()]);
      const heraWorker = await createHeraWorker({ config, db: workerDb });
      const running = heraWorker.run();
      steps.push(['worker', async () => {
        if (heraWorker.worker.getState() === 'RUNNING') heraWorker.worker.shutdown();
        await running;
      }]);

      const system = await openSystem(config, appUrl);
      steps.push(['system', () => system.close()]);
      const api = await startApi(config, system, options.port ? Number(options.port) : config.PORT);
      steps.push(['api', () => api.close()]);

      const org = await ensureOrganization(system.services.db.pool, 'demo', 'Demo organization', systemActorId);
      const adminToken = await signToken(
        jwtSecret,
        { sub: demoAdminId, org: org.id, roles: ['admin', 'manager', 'employee', 'user'] },
        '24h',
        { issuer: config.HERA_JWT_ISSUER, audience: config.HERA_JWT_AUDIENCE },
      );
      const caller = { userId: demoAdminId, organizationId: org.id, roles: ['admin', 'manager', 'employee', 'user'] };
      await seedDemo(system, caller);
      // One sweep right away, so the schedule shows a recent run in the Temporal UI from the start. Only the
      // trigger is awaited: no call of this process may still be waiting on Temporal when Ctrl-C closes it.
      if (config.HERA_SWEEP_SCHEDULE === 'on') await triggerSweep(system.services.temporal);

      const info = {
        api: api.url,
        temporal_ui: uiUrl ?? null,
        temporal_address: config.TEMPORAL_ADDRESS,
        database: database.url,
        app_database: appUrl,
        organization_id: org.id,
        admin_user_id: demoAdminId,
        admin_token: adminToken,
      };
      writeFileSync(path.join(heraHome, 'dev.json'), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
      process.stdout.write(
        [
          `HERA Workflow Ops is running (Ctrl-C stops everything)`,
          `  API          ${api.url}`,
          `  Dashboard    ${api.url}/dashboard   (sign in with the admin token below)`,
          `  Temporal UI  ${uiUrl ?? '(external cluster)'}`,
          `  Temporal     ${config.TEMPORAL_ADDRESS}`,
          config.HERA_SWEEP_SCHEDULE === 'on'
            ? `  SLA sweep    schedule hera-wf-sweep, every ${config.HERA_SWEEP_INTERVAL} (Temporal UI → Schedules)`
            : '  SLA sweep    schedule not managed here (HERA_SWEEP_SCHEDULE=off)',
          `  Database     ${database.url}`,
          `  Org          ${org.id} (demo)`,
          `  Admin token  ${adminToken}`,
          'Try',
          `  export HERA_TOKEN=$(node -p "require('${path.join(heraHome, 'dev.json')}').admin_token")`,
          `  curl -H "Authorization: Bearer $HERA_TOKEN" ${api.url}/api/v1/workflows   # list instances`,
          `  curl -H "Authorization: Bearer $HERA_TOKEN" '${api.url}/api/v1/workflows?paused=true'   # paused instances`,
          ...(uiUrl ? [`  ${pausedInUi(uiUrl, config.TEMPORAL_NAMESPACE)}   # paused instances in the Temporal UI`] : []),
          `  ${api.url}/docs   # API reference`,
          '',
        ].join('\n'),
      );
      await Promise.race([untilSignal(), running]);
    } finally {
      await stopAll();
    }
  });
