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
