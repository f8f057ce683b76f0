import { z } from 'zod';
import { getInstance } from '../../db/queries/readModels';
import { Refusal } from '../../errors';
import { describeWorkflow, runRecordWorkflow } from '../../temporal/commands';
import { instanceWorkflowId } from '../../temporal/ids';
import { defineProcedure, type Services } from '../types';

/** What Temporal says of an instance's workflow: its status, or `NOT_FOUND` once it is gone (retention). */
async function temporalStatus(services: Services, organizationId: string, instanceId: string): Promise<{ status: string; closed_at: string | null }> {
  const described = await describeWorkflow(services.temporal, instanceWorkflowId(organizationId, instanceId));
  return described ? { status: described.status.name, closed_at: described.closeTime?.toISOString() ?? null } : { status: 'NOT_FOUND', closed_at: null };
}

/**
 * INSTANCE.RECONCILE: the row of an instance whose workflow ended without finishing it (an operator terminated
 * it in the Temporal UI, it timed out or failed, or it is gone) says `failed`. A running or completed workflow
 * leaves the row as it is: the workflow is its only writer.
 */
export const instanceReconcile = defineProcedure({
  smartCode: 'HERA.UNIV.WF.INSTANCE.RECONCILE.V1',
  input: z.strictObject({ instance_id: z.guid(), dry_run: z.boolean().default(false), reason: z.string().trim().min(1).max(1000).optional() }),
  async handle({ instance_id, dry_run, reason }, { caller, services }) {
    const org = caller.organizationId;
    const row = await services.db.withOrg(org, (sql) => getInstance(sql, org, instance_id));
    if (!row) throw new Refusal('INSTANCE_NOT_FOUND', 'no such instance', { instance_id });
    const temporal = await temporalStatus(services, org, instance_id);
    const ended = !['RUNNING', 'COMPLETED', 'CONTINUED_AS_NEW'].includes(temporal.status);
    const action = row.status === 'active' && ended ? 'mark_failed' : 'none';
    let applied = false;
    if (action === 'mark_failed' && !dry_run) {
      applied = await runRecordWorkflow<boolean>(
        { temporal: services.temporal, taskQueue: services.config.HERA_TASK_QUEUE, organizationId: org, subject: `reconcile/${instance_id}` },
        'reconcileInstanceWorkflow',
        { organizationId: org, actorUserId: caller.userId, change: { instanceId: instance_id, reconciled: { temporal_status: temporal.status, closed_at: temporal.closed_at, reason: reason ?? null } } },
      );
    }
    return {
      instance_id,
      row: { status: row.status, current_state: row.current_state },
      temporal,
      action,
      dry_run,
      applied,
    };
  },
});
