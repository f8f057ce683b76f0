import { log } from '@temporalio/workflow';
import { systemActor } from '../../domain/actor';
import type { NewNotification } from '../../domain/notification';
import type { SlaCheckAnswer, SlaCheckRequest } from '../messages';
import { iso } from '../machine';
import { breachTiers, nextSlaCheck, slaBreachNotice, slaDecision, slaWarningNotice } from '../sla';
import { refusalOf, slaCheck } from './checks';
import type { InstanceContext } from './context';
import { recordNote } from './notes';
import { escalateOverdueTask } from './tasks';

const ownerRecipient = ({ state }: InstanceContext) => (state.snapshot.owner_user_id ? { user_id: state.snapshot.owner_user_id } : { team: state.snapshot.owner_team });

/** Who hears of a breach level: the owner, then the owner's manager, then the operations team. */
async function breachRecipient(ctx: InstanceContext, level: number, request: SlaCheckRequest): Promise<Record<string, unknown>> {
  const { owner_user_id, owner_team } = ctx.state.snapshot;
  switch (breachTiers[level - 1].recipient) {
    case 'owner':
      return ownerRecipient(ctx);
    case 'owner_manager': {
      const manager = owner_user_id ? await ctx.acts.directory.managerOf({ organizationId: ctx.organizationId, userId: owner_user_id }) : null;
      return manager ? { user_id: manager } : { role: 'manager', team: owner_team };
    }
    default:
      return { team: request.operations_team };
  }
}

/** The sweep's SLA check: records the levels due at `as_of` with their notices, in one transaction with a step note. */
export async function checkSla(ctx: InstanceContext, request: SlaCheckRequest): Promise<SlaCheckAnswer> {
  const { state, definition } = ctx;
  slaCheck(state, request);
  const asOfMs = Date.parse(request.as_of);
  const decision = slaDecision(state.slaClock(), asOfMs);
  const subject = { instance_id: state.snapshot.instance_id, definition_code: definition.code, sla_at: state.snapshot.sla_at! };
  const notices: NewNotification[] = [];
  if (decision.warn !== null) notices.push(slaWarningNotice(subject, decision.warn, ownerRecipient(ctx)));
  for (const level of decision.escalate) notices.push(slaBreachNotice(subject, level, await breachRecipient(ctx, level, request), asOfMs));
  state.setSlaLevels(decision, Date.now());
  const { sla_at, sla_escalated_at } = state.snapshot;
  await recordNote(
    ctx,
    decision.escalate.length ? 'SLA_ESCALATION' : 'SLA_WARNING',
    { actor: systemActor },
    { as_of: request.as_of, sla_at, warning_level: decision.warningLevel, escalation_level: decision.escalationLevel, notified: notices.map((n) => n.recipient) },
    { sla_warning_level: decision.warningLevel, sla_escalation_level: decision.escalationLevel, sla_escalated_at: sla_escalated_at ?? null, sla_check_at: nextSlaCheck(state.slaClock()) },
    { notifications: notices, procedure: 'HERA.UNIV.WF.SCHEDULER.V1' },
  );
  return {
    instance_id: state.snapshot.instance_id,
    sla_warning_level: decision.warningLevel,
    sla_escalation_level: decision.escalationLevel,
    warned: decision.warn !== null,
    escalated_levels: decision.escalate,
    notifications: notices.length,
  };
}

/** Who hears of the top levels when the instance was started before it carried HERA_OPERATIONS_TEAM (its default). */
const defaultOperationsTeam = 'operations';

/**
 * The instance's own SLA moments, on time: every level due at `nowMs` recorded by the same decision the sweep's
 * Updates apply (the SLA's tiers, then each open task's overdue levels), each in the serializer. A refusal (a
 * sweep or an operator got there first) changes nothing and is not an error.
 */
export async function checkDueMoments(ctx: InstanceContext, nowMs: number): Promise<void> {
  const { state } = ctx;
  const request = { as_of: iso(nowMs), operations_team: ctx.input.operationsTeam ?? defaultOperationsTeam };
  const due = (at: string | null | undefined) => !!at && Date.parse(at) <= nowMs;
  const refusedOnly = async (work: () => Promise<unknown>) => {
    try {
      await ctx.serialize(work);
    } catch (error) {
      const refusal = refusalOf(error);
      if (!refusal) throw error;
      log.info('an SLA moment needed nothing', { code: refusal.type, message: refusal.message });
    }
  };
  if (due(nextSlaCheck(state.slaClock()))) await refusedOnly(() => checkSla(ctx, request));
  for (const task of state.openTasks().filter((t) => due(t.overdue_check_at))) {
    await refusedOnly(() => escalateOverdueTask(ctx, { ...request, task_id: task.task_id }));
  }
}
