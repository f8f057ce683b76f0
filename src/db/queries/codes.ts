/** Record smart codes and transaction types; each passes HERA's smart-code CHECK. */
export const smartCodes = {
  instance: 'HERA.UNIV.WF.INSTANCE.HEADER.v1',
  step: 'HERA.UNIV.WF.STEP.LINE.v1',
} as const;

export const transactionTypes = {
  instance: 'WF_INSTANCE',
} as const;

/** The actor recorded for writes made by workers and schedules rather than a person. */
export const systemActorId = '00000000-0000-4000-8000-000000000001';
