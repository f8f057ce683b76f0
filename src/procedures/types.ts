import type { Client } from '@temporalio/client';
import type { z } from 'zod';
import type { Config } from '../config';
import type { Db } from '../db/pool';
import type { DefinitionCatalog } from '../definitions/catalog';
import type { Actor } from '../workflows/messages';

/** What procedures may use: the database for reads, Temporal for writes, the definition catalog. */
export interface Services {
  config: Config;
  db: Db;
  temporal: Client;
  definitions: DefinitionCatalog;
}

/** The authenticated caller: the organization always comes from the token. */
export interface Caller extends Actor {
  organizationId: string;
}

export interface ProcedureContext {
  caller: Caller;
  services: Services;
  correlationId: string | null;
}

/**
 * One HERA procedure: its smart code (the API identifier), the roles its route requires, its input schema and
 * its handler. `member` is any holder of a valid token.
 */
export interface Procedure<Schema extends z.ZodType = z.ZodType, Output = unknown> {
  smartCode: string;
  kind: 'command' | 'query';
  roles: string[];
  successStatus: 200 | 201;
  input: Schema;
  handle(input: z.output<Schema>, ctx: ProcedureContext): Promise<Output>;
}

export function defineProcedure<Schema extends z.ZodType, Output>(
  procedure: Procedure<Schema, Output>,
): Procedure<Schema, Output> {
  return procedure;
}
