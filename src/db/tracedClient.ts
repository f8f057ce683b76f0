import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import pg from 'pg';
import { startSpan } from '../tracing';

/** A span's name for a statement: its verb and first table or function ("select hera_instance_get"), never its values. */
export function statementName(text: string): string {
  const verb = /^\s*(\w+)/.exec(text)?.[1]?.toLowerCase() ?? 'query';
  const target = /\b(?:from|into|update|join)\s+([a-z_][\w.]*)/i.exec(text)?.[1];
  return target ? `${verb} ${target}` : verb;
}

function ended(span: Span, error: Error | null | undefined): void {
  if (error) {
    span.recordException(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  }
  span.end();
}

/**
 * The pool's client class while tracing is on: each statement is a CLIENT span under the active one (the request,
 * the activity). Statements are parameterized, so their text carries no values; cursors and streams are not traced.
 */
export class TracedClient extends pg.Client {
  // Every form the driver takes: text or config, with or without values, promise or callback.
  override query(config: any, values?: any, callback?: any): any {
    if (typeof config?.submit === 'function') return super.query(config, values, callback);
    const text: string = typeof config === 'string' ? config : String(config?.text ?? '');
    const span = startSpan(statementName(text), SpanKind.CLIENT, { 'db.system': 'postgresql', 'db.query.text': text.slice(0, 2000) });
    const done = typeof values === 'function' ? values : callback;
    if (typeof done === 'function') {
      const traced = (error: Error | null, result: unknown) => {
        ended(span, error);
        done(error, result);
      };
      return typeof values === 'function' ? super.query(config, traced) : super.query(config, values, traced);
    }
    return (super.query(config, values) as Promise<unknown>).then(
      (result) => {
        ended(span, null);
        return result;
      },
      (error: Error) => {
        ended(span, error);
        throw error;
      },
    );
  }
}
