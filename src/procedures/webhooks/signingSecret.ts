import { z } from 'zod';
import { readWebhookSigning } from '../../db/queries/webhookSigning';
import { runRecordWorkflow } from '../../temporal/commands';
import { defineProcedure } from '../types';

/** The secret that signs the organization's webhooks (`X-Hera-Signature`). */
export const webhookSecretGet = defineProcedure({
  smartCode: 'HERA.UNIV.WF.WEBHOOK.SECRET.GET.V1',
  input: z.strictObject({}),
  async handle(_input, { caller, services }) {
    return services.db.withOrg(caller.organizationId, (sql) => readWebhookSigning(sql, caller.organizationId));
  },
});

/** A new secret, effective at once; read back after the change, so it never passes through Temporal. */
export const webhookSecretRotate = defineProcedure({
  smartCode: 'HERA.UNIV.WF.WEBHOOK.SECRET.ROTATE.V1',
  input: z.strictObject({}),
  async handle(_input, { caller, services }) {
    await runRecordWorkflow(
      {
        temporal: services.temporal,
        taskQueue: services.config.HERA_TASK_QUEUE,
        organizationId: caller.organizationId,
        subject: 'webhook-secret',
      },
      'rotateWebhookSecretWorkflow',
      { organizationId: caller.organizationId, actorUserId: caller.userId, change: {} },
    );
    return services.db.withOrg(caller.organizationId, (sql) => readWebhookSigning(sql, caller.organizationId));
  },
});
