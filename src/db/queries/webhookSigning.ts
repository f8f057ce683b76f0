import type { Sql } from '../pool';

export interface WebhookSigning {
  secret: string;
  rotated_at: string;
}

/** The organization's webhook signing secret (every organization has one from its creation, migration 013). */
export async function readWebhookSigning(sql: Sql, organizationId: string): Promise<WebhookSigning> {
  const { rows } = await sql.query<WebhookSigning>(
    'select secret, rotated_at from wf_webhook_signing_view where organization_id = $1 and secret is not null',
    [organizationId],
  );
  if (!rows[0]) throw new Error(`organization ${organizationId} has no webhook signing secret`);
  return rows[0];
}

/** Replaces the secret with a new random one at once; answers only when (the secret stays out of Temporal histories). */
export async function rotateWebhookSigning(sql: Sql, organizationId: string, actorUserId: string): Promise<{ rotated_at: string }> {
  const { rows } = await sql.query<{ rotated_at: string }>(
    `update core_organizations
        set settings = coalesce(settings, '{}') || jsonb_build_object('webhook_signing', hera_new_webhook_signing()),
            updated_at = now(), updated_by = $2
      where id = $1
      returning settings->'webhook_signing'->>'rotated_at' as rotated_at`,
    [organizationId, actorUserId],
  );
  if (!rows[0]) throw new Error(`organization ${organizationId} not found`);
  return rows[0];
}
