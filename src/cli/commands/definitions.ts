import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import YAML from 'yaml';
import { loadConfig } from '../../config';
import { systemActorId } from '../../db/queries/codes';
import { runtimeDatabaseUrl } from '../../db/resolve';
import { HeraError } from '../../errors';
import { openSystem } from '../../system';

export const definitionsCommand = new Command('definitions').description('workflow definitions');

definitionsCommand
  .command('register')
  .description('register a definition file (YAML or JSON) for an organization, through HERA.UNIV.WF.DEFINITION.REGISTER.V1')
  .argument('<file>', 'definition file')
  .requiredOption('--org <id>', 'organization id')
  .action(async (file: string, { org }: { org: string }) => {
    const definition: unknown = YAML.parse(readFileSync(file, 'utf8'));
    if (!definition || typeof definition !== 'object' || Array.isArray(definition)) throw new Error(`${file} does not hold a definition object`);
    const config = loadConfig();
    const system = await openSystem(config, runtimeDatabaseUrl(config, 'hera definitions register'));
    try {
      const result = await system.runProcedure('HERA.UNIV.WF.DEFINITION.REGISTER.V1', definition as Record<string, unknown>, {
        userId: systemActorId,
        organizationId: org,
        roles: ['system'],
      });
      process.stdout.write(`${JSON.stringify(result.body)}\n`);
    } catch (error) {
      if (error instanceof HeraError) throw new Error(`${error.code}: ${error.message} ${JSON.stringify(error.details)}`);
      throw error;
    } finally {
      await system.close();
    }
  });
