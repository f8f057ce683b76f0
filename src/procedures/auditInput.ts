/**
 * What an audit row keeps of a request's input: the input after validation, with every part capped so a row stays
 * small whatever was sent; for input that did not validate, only its field names and size, never its values.
 */

const maxString = 500;
const maxItems = 20;
const maxKeys = 50;
const maxKey = 64;
const maxDepth = 4;
const maxBytes = 8 * 1024;

/** PostgreSQL's jsonb cannot hold U+0000: kept as U+FFFD, so what was refused can still be audited. */
const storable = (text: string) => text.replace(/\u0000/g, '\uFFFD');

/** The first `maxString` characters, marked when cut. */
export function cappedString(value: string): string {
  return storable(value.length <= maxString ? value : `${value.slice(0, maxString)}… (${value.length - maxString} more characters)`);
}

function capped(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return cappedString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= maxDepth) return '… (nested too deep)';
  if (Array.isArray(value)) {
    const items = value.slice(0, maxItems).map((item) => capped(item, depth + 1));
    return value.length > maxItems ? [...items, `… (${value.length - maxItems} more items)`] : items;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  const kept = Object.fromEntries(entries.slice(0, maxKeys).map(([k, v]) => [storable(k.slice(0, maxKey)), capped(v, depth + 1)]));
  return entries.length > maxKeys ? { ...kept, '…': `${entries.length - maxKeys} more fields` } : kept;
}

/** The size in bytes of `value` as JSON, or null when it is none (a cycle, a BigInt). */
function jsonBytes(value: unknown): number | null {
  try {
    return Buffer.byteLength(JSON.stringify(value) ?? '');
  } catch {
    return null;
  }
}

/** Field names (capped) and size of an input that is not kept as it is. */
export function inputSummary(input: Record<string, unknown>, validated: boolean) {
  const fields = Object.keys(input);
  return {
    validated,
    fields: fields.slice(0, maxKeys).map((k) => storable(k.slice(0, maxKey))),
    ...(fields.length > maxKeys ? { more_fields: fields.length - maxKeys } : {}),
    size_bytes: jsonBytes(input),
  };
}

/** The validated input, capped; past `maxBytes` even so, its summary. */
export function auditedInput(validated: Record<string, unknown>): unknown {
  const kept = capped(validated, 0);
  const bytes = jsonBytes(kept);
  return bytes !== null && bytes <= maxBytes ? kept : inputSummary(validated, true);
}
