/** The actor recorded for writes made by workers, timers and schedules rather than a person. */
export const systemActorId = '00000000-0000-4000-8000-000000000001';

/**
 * Who asked: a token's user and roles, the system (schedules, workers, a definition's own timers), or an
 * operator who signalled from the Temporal UI.
 */
export interface Actor {
  userId: string;
  roles: string[];
  /** What a Temporal UI operator typed as their name, recorded as given (their `userId` is the system's unless it is a user id). */
  name?: string;
}

export const systemActor: Actor = { userId: systemActorId, roles: ['system'] };

/** Just the actor of a caller that carries more (its organization, its token's claims). */
export const actorOf = ({ userId, roles }: Actor): Actor => ({ userId, roles });

/** How a step note, a pause or an owner change names who did it. */
export const actorLabel = (actor: Actor): string => actor.name ?? actor.userId;
