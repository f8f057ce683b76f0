import type { Client } from '@temporalio/client';
import type { z } from 'zod';
import type { Config } from '../config';
import type { Db } from '../db/pool';
import type { AuditEvent } from '../db/queries/audit';
import type { DefinitionCatalog } from '../definitions/catalog';
import type { RoleDirectory } from '../directory/roles';
import type { Actor } from '../domain/actor';

/** What procedures may use: views for reads, Temporal for writes, definitions and the role directory. */
export interface Services {
  config: Config;
  db: Db;
  temporal: Client;
  definitions: DefinitionCatalog;
  roles: RoleDirectory;
  /** Records an audit event of the organization. */
  audit(organizationId: string, event: AuditEvent): Promise<void>;
}

/** The authenticated caller: the organization always comes from the token. */
export interface Caller extends Actor {
  organizationId: string;
}

export interface ProcedureContext {
  caller: Caller;
  services: Services;
  correlationId: string | null;
  /** The request's `Idempotency-Key`, when given. */
  idempotencyKey: string | null;
  /** A digest of the validated input, to tell a replay from a reuse of the key with another body. */
  requestHash: string;
  /** The handler answers a replay of an earlier request (sets `Idempotent-Replayed: true`). */
  markReplayed(): void;
  /** Answers 200 instead of the contract's success status (a dry run of a command that otherwise answers 202, a PUT that changed nothing). */
  markOk(): void;
}

/**
 * The code side of a procedure; its YAML contract in `procedures/` holds the rest (kind, roles, routes,
 * errors, audit). The runner refuses to start if the two do not match one to one.
 */
export interface ProcedureImplementation<Schema extends z.ZodType = z.ZodType, Output = unknown> {
  smartCode: string;
  input: Schema;
  handle(input: z.output<Schema>, ctx: ProcedureContext): Promise<Output>;
}

export function defineProcedure<Schema extends z.ZodType, Output>(
  implementation: ProcedureImplementation<Schema, Output>,
): ProcedureImplementation<Schema, Output> {
  return implementation;
}
