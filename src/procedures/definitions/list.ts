import { z } from 'zod';
import { listDefinitions } from '../../db/queries/definitions';
import { defineProcedure } from '../types';

/** The definitions an organization can start: its own registered versions, then the platform's shipped ones. */
export const definitionsList = defineProcedure({
  smartCode: 'HERA.UNIV.WF.DEFINITIONS.LIST.V1',
  input: z.strictObject({}),
  async handle(_input, { caller, services }) {
    const org = caller.organizationId;
    const own = await services.db.withOrg(org, (sql) => listDefinitions(sql, org));
    return {
      definitions: [
        ...own.map((row) => ({ definition_code: row.definition_code, version: row.version, source: 'organization', definition: row.definition })),
        ...services.definitions
          .list()
          .map((d) => ({ definition_code: d.code, version: d.version, source: 'platform', definition: d })),
      ],
    };
  },
});
