import { Refusal } from '../../errors';
import { checkCaps } from '../../definitions/caps';
import { checkRefs } from '../../definitions/registry';
import { definitionSchema } from '../../definitions/schema';
import type { StoreOutcome } from '../../db/queries/definitions';
import { runRecordWorkflow } from '../../temporal/commands';
import { defineProcedure } from '../types';

/** Registers one version of a definition for the organization; a stored version never changes. */
export const registerDefinition = defineProcedure({
  smartCode: 'HERA.UNIV.WF.DEFINITION.REGISTER.V1',
  input: definitionSchema,
  async handle(definition, { caller, services }) {
    const problems = checkRefs(definition);
    if (problems.length) {
      throw new Refusal('INVALID_DEFINITION', `the definition names unknown or misconfigured guards or effects`, { problems });
    }
    const overCaps = checkCaps(definition);
    if (overCaps.length) {
      throw new Refusal('INVALID_DEFINITION', `the definition exceeds its limits at ${overCaps.map((p) => p.path).join(', ')}`, { problems: overCaps });
    }
    const outcome = await runRecordWorkflow<StoreOutcome>(
      {
        temporal: services.temporal,
        taskQueue: services.config.HERA_TASK_QUEUE,
        organizationId: caller.organizationId,
        subject: `definition/${definition.code}/v${definition.version}`,
      },
      'registerDefinitionWorkflow',
      { organizationId: caller.organizationId, actorUserId: caller.userId, change: definition },
    );
    if (outcome === 'conflict') {
      throw new Refusal('DEFINITION_VERSION_EXISTS', `${definition.code} version ${definition.version} is registered with other content`, {
        definition_code: definition.code,
        version: definition.version,
      });
    }
    return { definition_code: definition.code, version: definition.version, created: outcome === 'created' };
  },
});
