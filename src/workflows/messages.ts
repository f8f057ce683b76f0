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
  /** Digest of the START request, so a replayed key with another body can be told apart. */
  requestHash: string;
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

export interface CreatedReply {
  instance: InstanceSnapshot;
  requestHash: string;
  /** This answer is for a repeat of the request that created the instance. */
  replayed: boolean;
}

export interface AdvanceRequest {
  to_state: string;
  actor_role?: string;
  payload: Record<string, unknown>;
  actor: Actor;
  idempotency_key: string | null;
  request_hash: string;
  correlation_id: string | null;
}

/** ADVANCE's answer (SPEC §10). Timers are set and cancelled by the timer capability. */
export interface AdvanceAnswer {
  instance_id: string;
  from_state: string;
  to_state: string;
  current_state: string;
  transitioned_at: string;
  step_id: string;
  guards_executed: string[];
  effects_queued: string[];
  timers_set: string[];
  timers_cancelled: string[];
}

export interface AdvanceReply {
  answer: AdvanceAnswer;
  replayed: boolean;
}

/** Current state of the instance, answered from workflow memory. */
export const snapshotQuery = defineQuery<InstanceSnapshot>('snapshot');

/** Answers once the instance's header is persisted; START sends it with the workflow start. */
export const awaitCreatedUpdate = defineUpdate<CreatedReply, [string]>('awaitCreated');

/** Moves the instance along one transition of its definition; answered after the step is persisted. */
export const advanceUpdate = defineUpdate<AdvanceReply, [AdvanceRequest]>('advance');
