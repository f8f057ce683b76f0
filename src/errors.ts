/** A HERA error: a stable code, the HTTP status it answers with, and details a client can act on. */
export class HeraError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HeraError';
  }
}

export interface FieldProblem {
  field: string;
  message: string;
}

export function validationFailed(fields: FieldProblem[]): HeraError {
  return new HeraError('VALIDATION_FAILED', 400, `invalid input: ${fields.map((f) => f.field).join(', ')}`, {
    fields,
  });
}

/**
 * A refusal a procedure handler raises by code; the runner gives it the HTTP status its contract declares
 * (a code the contract does not declare is a programming error and answers 500).
 */
export class Refusal extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'Refusal';
  }
}

/**
 * No database connection within HERA_DB_CONNECT_TIMEOUT_MS (pool exhausted, server down), or the session lost
 * mid-transaction (restart, failover): a 503 to retry.
 */
export class DatabaseUnavailable extends Error {
  constructor(cause: unknown) {
    super(`no database connection: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'DatabaseUnavailable';
  }
}
