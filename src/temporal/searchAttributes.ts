import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

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
