import type { PinnedDefinition } from '../definitions/schema';
import type { SubjectRef } from '../workflows/messages';

export interface InstanceMetadataInput {
  organizationId: string;
  instanceId: string;
  definition: Pick<PinnedDefinition, 'code' | 'version'>;
  subjectRef: SubjectRef | null;
  correlationId: string | null;
}

/** The one-line summary the Temporal UI lists the instance by: `LEAVE_APPROVAL · emp_7 (leave_request)`. */
export function instanceSummary({ definition, subjectRef, instanceId }: InstanceMetadataInput): string {
  return `${definition.code} · ${subjectRef ? `${subjectRef.entity_id} (${subjectRef.entity_type})` : instanceId}`;
}

/** What never changes about the instance, as Markdown for the Temporal UI's workflow page. */
export function instanceStaticDetails({ organizationId, instanceId, definition, subjectRef, correlationId }: InstanceMetadataInput): string {
  // The blank line: the UI's Markdown starts a list only after one.
  return [
    `**HERA instance** \`${instanceId}\``,
    '',
    `- Organization: \`${organizationId}\``,
    `- Definition: ${definition.code} v${definition.version}`,
    `- Subject: ${subjectRef ? `${subjectRef.entity_type} ${subjectRef.entity_id}` : 'none'}`,
    `- Correlation id: ${correlationId ? `\`${correlationId}\`` : 'none'}`,
    `- API: \`GET /api/v1/workflows/${instanceId}\` (a token of the organization)`,
  ].join('\n');
}
