/** Record smart codes and transaction types; each passes HERA's smart-code CHECK. */
export const smartCodes = {
  instance: 'HERA.UNIV.WF.INSTANCE.HEADER.v1',
  step: 'HERA.UNIV.WF.STEP.LINE.v1',
  effect: 'HERA.UNIV.WF.EFFECT.HEADER.v1',
  timer: 'HERA.UNIV.WF.TIMER.HEADER.v1',
  task: 'HERA.UNIV.WF.TASK.ENTITY.v1',
  taskData: 'HERA.UNIV.WF.TASK.DATA.v1',
  notification: 'HERA.UNIV.WF.NOTIFICATION.HEADER.v1',
  audit: 'HERA.UNIV.WF.AUDIT.EVENT.v1',
  definition: 'HERA.UNIV.WF.DEFINITION.SPEC.v1',
  calendar: 'HERA.UNIV.WF.CALENDAR.SPEC.v1',
  user: 'HERA.UNIV.WF.DIRECTORY.USER.v1',
  role: 'HERA.UNIV.WF.DIRECTORY.ROLE.v1',
  team: 'HERA.UNIV.WF.DIRECTORY.TEAM.v1',
  hasRole: 'HERA.UNIV.WF.DIRECTORY.HAS_ROLE.v1',
  memberOf: 'HERA.UNIV.WF.DIRECTORY.MEMBER_OF.v1',
  schedulerRun: 'HERA.UNIV.WF.SCHEDULER.RUN.v1',
  bulkJob: 'HERA.UNIV.WF.BULK.JOB.v1',
  bulkItem: 'HERA.UNIV.WF.BULK.ITEM.v1',
} as const;

export const transactionTypes = {
  instance: 'WF_INSTANCE',
  effect: 'WF_EFFECT',
  timer: 'WF_TIMER',
  notification: 'WF_NOTIFICATION',
  audit: 'WF_AUDIT',
  schedulerRun: 'WF_SCHEDULER_RUN',
  bulkJob: 'WF_BULK_JOB',
} as const;

export { systemActorId } from '../../domain/actor';

/** The platform's own organization (migration 012): owner of records that span tenants, such as sweep runs. */
export const platformOrganizationId = '00000000-0000-4000-8000-0000000000f0';
