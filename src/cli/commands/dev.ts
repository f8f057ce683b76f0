import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { signToken } from '../../auth/jwt';
import { resolveJwtSecret } from '../../auth/secret';
import { heraHome, loadConfig } from '../../config';
import { migrate } from '../../db/migrate';
import { createDb } from '../../db/pool';
import { systemActorId } from '../../db/queries/codes';
import { ensureOrganization } from '../../db/queries/organizations';
import { resolveDatabase } from '../../db/resolve';
import { logger } from '../../logger';
import { openSystem, startApi } from '../../system';
import { resolveTemporalCli } from '../../temporal/cli';
import { startDevServer } from '../../temporal/devServer';
import { createHeraWorker } from '../../worker';
import { shutdown, untilSignal } from '../lifecycle';

/** The demo administrator's fixed id, so every `hera dev` run hands out a token for the same user. */
const demoAdminId = '00000000-0000-4000-8000-0000000000ad';

export const devCommand = new Command('dev')
  .description('run everything on embedded defaults: database, Temporal dev server with UI, worker, API, demo data')
  .action(async () => {
    const steps: Array<[string, () => Promise<unknown>]> = [];
    const stopAll = () => shutdown(steps.reverse(), (line) => logger.error(line));
    try {
      const explicitTemporal = Boolean(process.env.TEMPORAL_ADDRESS);
      const config = loadConfig();
      mkdirSync(heraHome, { recursive: true });

      const database = await resolveDatabase(config);
      steps.push(['database', () => database.stop()]);
      await migrate(database.url);

      let uiUrl: string | undefined;
      if (!explicitTemporal) {
        const port = Number(config.TEMPORAL_ADDRESS.split(':').pop());
        const server = await startDevServer({
          cliPath: resolveTemporalCli((line) => logger.info(line)),
          port,
          uiPort: port + 1000,
          dbFile: path.join(heraHome, 'temporal.db'),
          namespace: config.TEMPORAL_NAMESPACE,
        });
        uiUrl = server.uiUrl;
        steps.push(['temporal dev server', () => server.stop()]);
      }

      const workerDb = createDb({ url: database.url, role: config.HERA_DB_ROLE });
      steps.push(['worker database pool', () => workerDb.close()]);
      const heraWorker = await createHeraWorker({ config, db: workerDb });
      const running = heraWorker.run();
      steps.push(['worker', async () => {
        if (heraWorker.worker.getState() === 'RUNNING') heraWorker.worker.shutdown();
        await running;
      }]);

      const system = await openSystem(config, database.url);
      steps.push(['system', () => system.close()]);
      const api = await startApi(config, system, config.PORT);
      steps.push(['api', () => api.close()]);

      const org = await ensureOrganization(system.services.db.pool, 'demo', 'Demo organization', systemActorId);
      const adminToken = await signToken(resolveJwtSecret(config), {
        sub: demoAdminId,
        org: org.id,
        roles: ['admin', 'manager', 'employee', 'user'],
      });
      const caller = { userId: demoAdminId, organizationId: org.id, roles: ['admin', 'manager', 'employee', 'user'] };
      const existing = await system.runProcedure('HERA.UNIV.WF.INSTANCES.LIST.V1', { limit: '1' }, caller);
      if ((existing.body as { instances: unknown[] }).instances.length === 0) {
        await system.runProcedure(
          'HERA.UNIV.WF.START.V1',
          {
            definition_code: 'LEAVE_APPROVAL',
            subject_ref: { entity_id: 'emp_1', entity_type: 'leave_request' },
            context: { leave_type: 'annual', days: 5, available_days: 15 },
          },
          caller,
        );
      }

      const info = {
        api: api.url,
        temporal_ui: uiUrl ?? null,
        temporal_address: config.TEMPORAL_ADDRESS,
        database: database.url,
        organization_id: org.id,
        admin_user_id: demoAdminId,
        admin_token: adminToken,
      };
      writeFileSync(path.join(heraHome, 'dev.json'), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
      process.stdout.write(
        [
          `HERA Workflow Ops is running (Ctrl-C stops everything)`,
          `  API          ${api.url}`,
          `  Temporal UI  ${uiUrl ?? '(external cluster)'}`,
          `  Temporal     ${config.TEMPORAL_ADDRESS}`,
          `  Database     ${database.url}`,
          `  Org          ${org.id} (demo)`,
          `  Admin token  ${adminToken}`,
          `  Try: curl -H "Authorization: Bearer $(jq -r .admin_token ${path.join(heraHome, 'dev.json')})" ${api.url}/api/v1/workflows`,
          '',
        ].join('\n'),
      );
      await Promise.race([untilSignal(), running]);
    } finally {
      await stopAll();
    }
  });
