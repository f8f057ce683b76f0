import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair, type TypedSearchAttributes } from '@temporalio/common';

/** The search attributes an operator filters on in the Temporal UI (`HeraPaused = true`). */
export const heraOrganizationId = defineSearchAttributeKey('HeraOrganizationId', SearchAttributeType.KEYWORD);
export const heraDefinitionCode = defineSearchAttributeKey('HeraDefinitionCode', SearchAttributeType.KEYWORD);
export const heraDefinitionVersion = defineSearchAttributeKey('HeraDefinitionVersion', SearchAttributeType.INT);
export const heraState = defineSearchAttributeKey('HeraState', SearchAttributeType.KEYWORD);
export const heraPaused = defineSearchAttributeKey('HeraPaused', SearchAttributeType.BOOL);
export const heraOwner = defineSearchAttributeKey('HeraOwner', SearchAttributeType.KEYWORD);
export const heraSlaAt = defineSearchAttributeKey('HeraSlaAt', SearchAttributeType.DATETIME);

/** Name → type as the CLI's `--search-attribute NAME=TYPE` and the operator service spell them. */
export const searchAttributeTypes: Record<string, 'Keyword' | 'Bool' | 'Datetime' | 'Int'> = {
  HeraOrganizationId: 'Keyword',
  HeraDefinitionCode: 'Keyword',
  HeraDefinitionVersion: 'Int',
  HeraState: 'Keyword',
  HeraPaused: 'Bool',
  HeraOwner: 'Keyword',
  HeraSlaAt: 'Datetime',
};

/** What a new instance is found by, as START sets them and the workflow checks them. */
export interface NewInstanceAttributes {
  organizationId: string;
  definition: { code: string; version: number };
  state: string;
  owner: string;
  slaAt: string | null;
}

/** A new instance's search attributes, unpaused; `HeraSlaAt` only when it has an SLA. */
export function newInstanceAttributes({ organizationId, definition, state, owner, slaAt }: NewInstanceAttributes): SearchAttributePair[] {
  return [
    { key: heraOrganizationId, value: organizationId },
    { key: heraDefinitionCode, value: definition.code },
    { key: heraDefinitionVersion, value: definition.version },
    { key: heraState, value: state },
    { key: heraPaused, value: false },
    { key: heraOwner, value: owner },
    ...(slaAt ? [{ key: heraSlaAt, value: new Date(slaAt) }] : []),
  ];
}

/** The pairs `current` does not already hold with the same value, in their order. */
export function attributesToSet(wanted: SearchAttributePair[], current: TypedSearchAttributes): SearchAttributePair[] {
  return wanted.filter(({ key, value }) => {
    const held: unknown = current.get(key);
    return value instanceof Date ? !(held instanceof Date && held.getTime() === value.getTime()) : held !== value;
  });
}
