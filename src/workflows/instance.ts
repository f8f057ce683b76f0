import {
  ApplicationFailure,
  condition,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { HeraActivities } from '../activities';
import {
  heraDefinitionCode,
  heraOrganizationId,
  heraOwner,
  heraPaused,
  heraSlaAt,
  heraState,
} from '../temporal/searchAttributes';
import { initialState, isTerminal, slaDeadline } from './machine';
import { awaitCreatedUpdate, snapshotQuery, type InstanceInput, type InstanceSnapshot } from './messages';

const persistence = proxyActivities<HeraActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

/**
 * One HERA workflow instance: the only writer of its records, so every change to it is serialized here.
 */
export async function instanceWorkflow(input: InstanceInput): Promise<InstanceSnapshot> {
  const { definition } = input;
  let state: string;
  try {
    state = initialState(definition, input.initialState);
  } catch (error) {
    throw ApplicationFailure.nonRetryable((error as Error).message, 'INVALID_STATE');
  }
  const startedAt = new Date(Date.now()).toISOString();
  const snapshot: InstanceSnapshot = {
    instance_id: input.instanceId,
    organization_id: input.organizationId,
    definition_code: definition.code,
    definition_version: definition.version,
    current_state: state,
    subject_ref: input.subjectRef,
    context: input.context,
    status: isTerminal(definition, state) ? 'completed' : 'active',
    paused: false,
    owner_team: null,
    owner_user_id: input.actor.userId,
    sla_at: slaDeadline(definition, Date.now()),
    created_at: startedAt,
    updated_at: startedAt,
  };
  let created = false;

  setHandler(snapshotQuery, () => snapshot);
  setHandler(awaitCreatedUpdate, async () => {
    await condition(() => created);
    return snapshot;
  });

  upsertSearchAttributes([
    { key: heraOrganizationId, value: input.organizationId },
    { key: heraDefinitionCode, value: definition.code },
    { key: heraState, value: state },
    { key: heraPaused, value: false },
    { key: heraOwner, value: input.actor.userId },
    ...(snapshot.sla_at ? [{ key: heraSlaAt, value: new Date(snapshot.sla_at) }] : []),
  ]);

  await persistence.createInstanceRecord({
    snapshot,
    actorUserId: input.actor.userId,
    actorRole: input.actor.roles[0] ?? null,
    correlationId: input.correlationId,
  });
  created = true;

  // Transitions, timers and tasks arrive as updates; the instance lives until a terminal state.
  await condition(() => snapshot.status !== 'active');
  return snapshot;
}
