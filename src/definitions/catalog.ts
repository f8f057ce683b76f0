import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { checkCaps } from './caps';
import { definitionSchema, pinDefinition, type PinnedDefinition } from './schema';

export const definitionsDir = path.resolve(__dirname, '../../definitions');

/** Platform definitions shipped with the product, by code; the highest version is current. */
export interface DefinitionCatalog {
  current(code: string): PinnedDefinition | undefined;
  list(): PinnedDefinition[];
}

export function loadDefinitionCatalog(dir = definitionsDir): DefinitionCatalog {
  const byCode = new Map<string, PinnedDefinition>();
  for (const file of readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f)).sort()) {
    const parsed = definitionSchema.safeParse(YAML.parse(readFileSync(path.join(dir, file), 'utf8')));
    if (!parsed.success) throw new Error(`definition ${file} is invalid: ${parsed.error.message}`);
    const overCaps = checkCaps(parsed.data);
    if (overCaps.length) throw new Error(`definition ${file} exceeds its limits: ${overCaps.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    const definition = pinDefinition(parsed.data);
    const known = byCode.get(definition.code);
    if (!known || known.version < definition.version) byCode.set(definition.code, definition);
  }
  return {
    current: (code) => byCode.get(code),
    list: () => [...byCode.values()],
  };
}
