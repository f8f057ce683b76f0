import { systemActor } from '../../domain/actor';
import type { NewNotification } from '../../domain/notification';
import type { SlaCheckAnswer, SlaCheckRequest } from '../messages';
import { breachTiers, nextSlaCheck, slaBreachNotice, slaDecision, slaWarningNotice } from '../sla';
import { slaCheck } from './checks';
import type { InstanceContext } from './context';
import { recordNote } from './notes';

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
