import { z } from 'zod';
import type { UserRow } from '../../db/queries/directory';
import { runRecordWorkflow } from '../../temporal/commands';
import { defineProcedure } from '../types';

const name = z.string().trim().min(1).max(200);
const code = z.string().regex(/^[a-z][a-z0-9_.-]{0,62}$/, 'lower-case code such as operations');

/** Creates or replaces a directory user with exactly these roles and teams. */
export const userPut = defineProcedure({
  smartCode: 'HERA.UNIV.WF.DIRECTORY.USER.PUT.V1',
  input: z.strictObject({
    user_id: z.guid(),
    name,
    roles: z.array(code).max(50).default([]),
    teams: z.array(code).max(50).default([]),
    manager_user_id: z.guid().nullable().default(null),
  }),
  async handle(input, { caller, services }) {
    const user = await runRecordWorkflow<UserRow>(
      {
        temporal: services.temporal,
        taskQueue: services.config.HERA_TASK_QUEUE,
        organizationId: caller.organizationId,
        subject: `user/${input.user_id}`,
      },
      'putUserWorkflow',
      {
        organizationId: caller.organizationId,
        actorUserId: caller.userId,
        change: {
          userId: input.user_id,
          name: input.name,
          managerUserId: input.manager_user_id,
          roles: [...new Set(input.roles)],
          teams: [...new Set(input.teams)],
        },
      },
    );
    services.roles.invalidate(caller.organizationId);
    return user;
  },
});

/** Creates or renames a team. */
export const teamPut = defineProcedure({
  smartCode: 'HERA.UNIV.WF.DIRECTORY.TEAM.PUT.V1',
  input: z.strictObject({ team_code: code, name }),
  async handle(input, { caller, services }) {
    return runRecordWorkflow(
      {
        temporal: services.temporal,
        taskQueue: services.config.HERA_TASK_QUEUE,
        organizationId: caller.organizationId,
        subject: `team/${input.team_code}`,
      },
      'putTeamWorkflow',
      { organizationId: caller.organizationId, actorUserId: caller.userId, change: { code: input.team_code, name: input.name } },
    );
  },
});
