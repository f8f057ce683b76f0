/** The actor recorded for writes made by workers, timers and schedules rather than a person. */
export const systemActorId = '00000000-0000-4000-8000-000000000001';
