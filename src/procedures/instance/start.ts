import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { z } from 'zod';
import { HeraError } from '../../errors';
import { instanceWorkflowId } from '../../temporal/ids';
import { initialState } from '../../workflows/machine';
import { awaitCreatedUpdate } from '../../workflows/messages';
import type { instanceWorkflow } from '../../workflows/instance';
import { defineProcedure } from '../types';

/** START: a new instance of a definition, pinned to the definition's current version. */
export const start = defineProcedure({
  smartCode: 'HERA.UNIV.WF.START.V1',
  kind: 'command',
  roles: ['user'],
  successStatus: 201,
  input: z.strictObject({
    definition_code: z.string().min(1),
    subject_ref: z.strictObject({ entity_id: z.string().min(1), entity_type: z.string().min(1) }).optional(),
    context: z.record(z.string(), z.unknown()).default({}),
    initial_state: z.string().min(1).optional(),
  }),
  async handle(input, { caller, services, correlationId }) {
    const definition = services.definitions.current(input.definition_code);
    if (!definition) {
      throw new HeraError('DEFINITION_NOT_FOUND', 404, `no definition ${input.definition_code}`, {
        definition_code: input.definition_code,
      });
    }
    try {
      initialState(definition, input.initial_state);
    } catch {
      throw new HeraError('INVALID_STATE', 400, `${input.initial_state} is not a state of ${definition.code}`, {
        initial_state: input.initial_state,
        states: definition.states,
      });
    }
    const instanceId = randomUUID();
    const { config, temporal } = services;
    const snapshot = await temporal.workflow.executeUpdateWithStart(awaitCreatedUpdate, {
      startWorkflowOperation: new WithStartWorkflowOperation<typeof instanceWorkflow>('instanceWorkflow', {
        workflowId: instanceWorkflowId(caller.organizationId, instanceId),
        taskQueue: config.HERA_TASK_QUEUE,
        workflowIdConflictPolicy: 'USE_EXISTING',
        args: [
          {
            organizationId: caller.organizationId,
            instanceId,
            definition,
            initialState: input.initial_state,
            subjectRef: input.subject_ref ?? null,
            context: input.context,
            actor: { userId: caller.userId, roles: caller.roles },
            correlationId,
          },
        ],
        memo: {
          definition_code: definition.code,
          definition_version: definition.version,
          subject_ref: input.subject_ref ?? null,
          correlation_id: correlationId,
        },
      }),
    });
    return {
      instance_id: snapshot.instance_id,
      definition_code: snapshot.definition_code,
      definition_version: snapshot.definition_version,
      current_state: snapshot.current_state,
      status: snapshot.status,
      sla_at: snapshot.sla_at,
      created_at: snapshot.created_at,
    };
  },
});
