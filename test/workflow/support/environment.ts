import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { definitionSchema, pinDefinition, type DefinitionInput, type PinnedDefinition } from '../../../src/definitions/schema';
import type { Actor } from '../../../src/domain/actor';
import { resolveTemporalCli } from '../../../src/temporal/cli';
import { heraDefinitionCode, heraDefinitionVersion, heraOrganizationId, heraOwner, heraPaused, heraSlaAt, heraState } from '../../../src/temporal/searchAttributes';
import type { instanceWorkflow } from '../../../src/workflows/instance';
import { awaitCreatedUpdate, type InstanceInput } from '../../../src/workflows/messages';
import { memoryActivities, type Directory, type MemoryActivities } from './memoryActivities';

export type InstanceHandle = WorkflowHandle<typeof instanceWorkflow>;

/**
 * The workflow-level tier: the real instance workflow on a real Temporal dev server (the built CLI), its
 * activities replaced by the in-memory stand-in, so handler logic is tested in milliseconds without PostgreSQL.
 */
export interface WorkflowTier {
  client: Client;
  memory: MemoryActivities;
  organizationId: string;
  start(definition: PinnedDefinition, options?: { context?: Record<string, unknown>; historyLimit?: number; actor?: Actor; startedAt?: number }): Promise<{ handle: InstanceHandle; instanceId: string }>;
  close(): Promise<void>;
}

export const pin = (definition: DefinitionInput): PinnedDefinition => pinDefinition(definitionSchema.parse(definition));

export async function startWorkflowTier(directory: Directory): Promise<WorkflowTier> {
  // Failing effects are part of these tests (the SDK warns of each): print errors only.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: await resolveTemporalCli({ log: (line) => process.stderr.write(`${line}\n`) }) },
      searchAttributes: [heraOrganizationId, heraDefinitionCode, heraDefinitionVersion, heraState, heraPaused, heraOwner, heraSlaAt],
    },
  });
  const memory = memoryActivities(directory);
  const taskQueue = `workflow-tier-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: require.resolve('../../../src/workflows'), logger: new DefaultLogger('WARN') }),
    activities: memory.activities,
  });
  const running = worker.run();
  const organizationId = randomUUID();
  return {
    client: env.client,
    memory,
    organizationId,
    async start(definition, { context = {}, historyLimit, actor = { userId: randomUUID(), roles: ['user'] }, startedAt } = {}) {
      const instanceId = randomUUID();
      const input: InstanceInput = { organizationId, instanceId, definition, subjectRef: null, context, actor, correlationId: null, requestHash: 'start', historyLimit, ...(startedAt !== undefined ? { startedAt } : {}) };
      const handle = await env.client.workflow.start<typeof instanceWorkflow>('instanceWorkflow', { workflowId: `tier/${instanceId}`, taskQueue, args: [input] });
      await handle.executeUpdate(awaitCreatedUpdate, { args: ['start'] });
      return { handle, instanceId };
    },
    async close() {
      worker.shutdown();
      await running;
      await env.teardown();
    },
  };
}

/** The HERA code an Update was refused with (its validator's or its handler's); fails when it was answered. */
export async function refusalOf(command: Promise<unknown>): Promise<string> {
  try {
    await command;
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) return error.cause.type ?? 'UNTYPED';
    throw error;
  }
  throw new Error('the command was answered, not refused');
}

/** How many Updates the instance's current run accepted (a validator's refusal leaves no event). */
export async function acceptedUpdates(handle: InstanceHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).map((e) => e.workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest!.input!.name!);
}
