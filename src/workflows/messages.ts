import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { PinnedDefinition } from '../definitions/schema';

/** Who asked: the token's user and roles, or the fixed system actor for schedules and workers. */
export interface Actor {
  userId: string;
  roles: string[];
}

export interface SubjectRef {
  entity_id: string;
  entity_type: string;
}

/** What START hands the instance workflow: everything it needs, the definition pinned by value. */
export interface InstanceInput {
  organizationId: string;
  instanceId: string;
  definition: PinnedDefinition;
  initialState?: string;
  subjectRef: SubjectRef | null;
  context: Record<string, unknown>;
  actor: Actor;
  correlationId: string | null;
}

/** The instance as INSTANCE.GET returns it. */
export interface InstanceSnapshot {
  instance_id: string;
  organization_id: string;
  definition_code: string;
  definition_version: number;
  current_state: string;
  subject_ref: SubjectRef | null;
  context: Record<string, unknown>;
  status: 'active' | 'completed';
  paused: boolean;
  owner_team: string | null;
  owner_user_id: string | null;
  sla_at: string | null;
  created_at: string;
  updated_at: string;
}

/** Current state of the instance, answered from workflow memory. */
export const snapshotQuery = defineQuery<InstanceSnapshot>('snapshot');

/** Answers once the instance's header is persisted; START sends it with the workflow start. */
export const awaitCreatedUpdate = defineUpdate<InstanceSnapshot>('awaitCreated');
