import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { z } from 'zod';
import { findInstanceAnswer } from '../../db/queries/instanceGet';
import { checkCaps } from '../../definitions/caps';
import { actorOf } from '../../domain/actor';
import { Refusal } from '../../errors';
import { endedBeforeAnswer, refusalEndingWorkflow, rethrowRefusal } from '../../temporal/commands';
import { instanceWorkflowId } from '../../temporal/ids';
import { newInstanceAttributes } from '../../temporal/searchAttributes';
import { instanceStaticDetails, instanceSummary } from '../../temporal/instanceMetadata';
import type { instanceWorkflow } from '../../workflows/instance';
import { chooseStartState, slaDeadline } from '../../workflows/machine';
import { awaitCreatedUpdate, instanceRevision, type InstanceSnapshot } from '../../workflows/messages';
import { pinCalendar, pinWorkCalendars, workCalendarFields } from '../../calendars/pin';
import { resolveDefinition } from '../definitions/resolve';
import { uuidFromKey } from '../idempotency';
import { defineProcedure } from '../types';

const startAnswer = (i: Pick<InstanceSnapshot, 'instance_id' | 'definition_code' | 'definition_version' | 'current_state' | 'status' | 'sla_at' | 'created_at'>) => ({
  instance_id: i.instance_id,
  definition_code: i.definition_code,
  definition_version: i.definition_version,
  current_state: i.current_state,
  status: i.status,
  sla_at: i.sla_at,
  created_at: i.created_at,
});

/**
 * START: a new instance of a definition, pinned to its current version. The instance workflow writes the
 * record itself, so a row never exists without its workflow; with an Idempotency-Key the instance id is
 * derived from the key, so a repeat (even after a crash half-way) finds the same instance.
 */
export const start = defineProcedure({
  smartCode: 'HERA.UNIV.WF.START.V1',
  input: z.strictObject({
    definition_code: z.string().min(1),
    subject_ref: z.strictObject({ entity_id: z.string().min(1), entity_type: z.string().min(1) }).optional(),
    context: z.record(z.string(), z.unknown()).default({}),
    initial_state: z.string().min(1).optional(),
  }),
  async handle(input, { caller, services, correlationId, idempotencyKey, requestHash, markReplayed }) {
    const org = caller.organizationId;
    const definition = await resolveDefinition(services, org, input.definition_code);
    if (!definition) {
      throw new Refusal('DEFINITION_NOT_FOUND', `no definition ${input.definition_code}`, { definition_code: input.definition_code });
    }
    // A version stored before the caps existed would wedge every instance started from it.
    const overCaps = checkCaps(definition);
    if (overCaps.length) {
      throw new Refusal('INVALID_DEFINITION', `${definition.code} v${definition.version} is past the definition caps; register a corrected version`, { problems: overCaps });
    }
    const begin = chooseStartState(definition, input.initial_state, caller.roles);
    if (!begin.ok) throw new Refusal(begin.code, begin.message, begin.details);
    // The calendars, pinned at their current versions: a later version applies only through a recalculation.
    const slaCalendar = definition.sla_hours !== undefined ? definition.sla_calendar : undefined;
    const { calendar, calendars } =
      slaCalendar || workCalendarFields(definition).size
        ? await services.db.withOrg(org, async (sql) => {
            const now = Date.now();
            return {
              calendar: slaCalendar ? await pinCalendar(sql, org, slaCalendar, now, 'sla_calendar') : undefined,
              calendars: await pinWorkCalendars(sql, org, definition, now),
            };
          })
        : { calendar: undefined, calendars: {} };
    const startedAt = Date.now();
    const instanceId = idempotencyKey ? uuidFromKey(caller, 'START', idempotencyKey) : randomUUID();
    const workflowId = instanceWorkflowId(org, instanceId);
    const metadata = { organizationId: org, instanceId, definition, subjectRef: input.subject_ref ?? null, correlationId };
    try {
      const reply = await services.temporal.workflow.executeUpdateWithStart(awaitCreatedUpdate, {
        args: [requestHash],
        startWorkflowOperation: new WithStartWorkflowOperation<typeof instanceWorkflow>('instanceWorkflow', {
          workflowId,
          taskQueue: services.config.HERA_TASK_QUEUE,
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          args: [
            {
              organizationId: org,
              instanceId,
              definition,
              initialState: input.initial_state,
              subjectRef: input.subject_ref ?? null,
              context: input.context,
              actor: actorOf(caller),
              correlationId,
              requestHash,
              startedAt,
              revision: instanceRevision,
              historyLimit: services.config.HERA_HISTORY_LIMIT,
              operationsTeam: services.config.HERA_OPERATIONS_TEAM,
              ...(calendar ? { calendar } : {}),
              ...(Object.keys(calendars).length ? { calendars } : {}),
            },
          ],
          // Set with the start, so the instance's first workflow task upserts none of them (a calendar SLA's due time aside).
          typedSearchAttributes: newInstanceAttributes({
            organizationId: org,
            definition,
            state: begin.state,
            owner: actorOf(caller).userId,
            slaAt: calendar ? null : slaDeadline(definition, startedAt),
          }),
          // What the Temporal UI lists and shows the instance by.
          staticSummary: instanceSummary(metadata),
          staticDetails: instanceStaticDetails(metadata),
          memo: {
            definition_code: definition.code,
            definition_version: definition.version,
            subject_ref: input.subject_ref ?? null,
            correlation_id: correlationId,
          },
        }),
      });
      if (reply.replayed) markReplayed();
      return startAnswer(reply.instance);
    } catch (error) {
      // The workflow failed before writing the record (the database refused it): answer why.
      if (endedBeforeAnswer(error)) throw (await refusalEndingWorkflow(services.temporal, workflowId)) ?? error;
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) rethrowRefusal(error);
      // The key's instance has already finished: answer from its record, or (none written) with why it failed.
      const existing = await services.db.withOrg(org, (sql) => findInstanceAnswer(sql, org, instanceId));
      if (!existing) {
        const refusal = await refusalEndingWorkflow(services.temporal, workflowId);
        if (refusal) throw refusal;
      }
      if (!existing || existing.start_request_hash !== requestHash) {
        throw new Refusal('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key started an instance with another request');
      }
      markReplayed();
      return startAnswer({ ...existing, status: existing.status as InstanceSnapshot['status'] });
    }
  },
});
