import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { commonErrors, type Contract } from '../procedures/contracts';
import type { ProcedureImplementation } from '../procedures/types';

const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()) }),
});

/** Answers of the gates every route passes before its procedure: body size, token, organization, rate, database. */
const authErrors = {
  PAYLOAD_TOO_LARGE: 413,
  UNAUTHENTICATED: 401,
  ORGANIZATION_UNKNOWN: 403,
  ORGANIZATION_SUSPENDED: 403,
  RATE_LIMITED: 429,
  DATABASE_UNAVAILABLE: 503,
};

/** Path parameters of an Express path, and the path in OpenAPI's `{name}` form. */
function pathOf(path: string) {
  const params = [...path.matchAll(/:([a-z_]+)/g)].map((m) => m[1]);
  return { params, openApiPath: path.replace(/:([a-z_]+)/g, '{$1}') };
}

/** The OpenAPI 3.1 document of the API, generated from the procedure contracts and their zod input schemas. */
export function openApiDocument(contracts: readonly Contract[], implementations: readonly ProcedureImplementation[]) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  const byCode = new Map(implementations.map((i) => [i.smartCode, i]));
  for (const contract of contracts) {
    const input = byCode.get(contract.smart_code)?.input;
    const shape: Record<string, z.ZodType> = input instanceof z.ZodObject ? (input.shape as Record<string, z.ZodType>) : {};
    for (const route of contract.routes) {
      const { params, openApiPath } = pathOf(route.path);
      const pathShape = Object.fromEntries(params.map((p) => [p, shape[p] ?? z.string()]));
      const rest = z.object(Object.fromEntries(Object.entries(shape).filter(([k]) => !params.includes(k))));
      const errors = { ...authErrors, ...commonErrors, ...contract.errors };
      const config: RouteConfig = {
        method: route.method.toLowerCase() as RouteConfig['method'],
        path: openApiPath,
        operationId: `${route.method.toLowerCase()}_${contract.smart_code}_${openApiPath}`.replace(/[^A-Za-z0-9_]/g, '_'),
        summary: contract.smart_code,
        description: `${contract.description}\n\nRoles: ${contract.roles.join(', ')}.${contract.audit ? ' Audited.' : ''}`,
        tags: [contract.kind === 'query' ? 'queries' : 'commands'],
        security: [{ bearer: [] }],
        request: {
          ...(params.length ? { params: z.object(pathShape) } : {}),
          ...(route.method === 'GET' ? { query: rest } : { body: { content: { 'application/json': { schema: rest } } } }),
        },
        responses: {
          [contract.success_status]: { description: 'Success', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } },
          // An accepted command may answer at once instead (a dry run): see `markOk`.
          ...(contract.success_status === 202 ? { 200: { description: 'Answered at once (a dry run)', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } } } : {}),
          ...Object.fromEntries(
            [...new Set(Object.values(errors))].map((status) => [
              status,
              {
                description: Object.entries(errors).filter(([, s]) => s === status).map(([code]) => code).join(', '),
                content: { 'application/json': { schema: errorSchema } },
              },
            ]),
          ),
        },
      };
      registry.registerPath(config);
    }
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: 'HERA Workflow Ops API', version: '1', description: 'Every route runs one HERA procedure through runProcedure.' },
  });
}
