import { randomUUID } from 'node:crypto';
import express, { type Request, type RequestHandler } from 'express';
import { getAbsoluteFSPath } from 'swagger-ui-dist';
import YAML from 'yaml';
import type { HeraClaims } from '../auth/jwt';
import { HeraError } from '../errors';
import { httpDuration, registry } from '../metrics';
import type { Contract } from '../procedures/contracts';
import type { RunProcedure } from '../procedures/runner';
import type { Caller } from '../procedures/types';
import { tracingOn } from '../tracing';
import { bodyLimitBytes, refuseLargeBodies } from './bodyLimit';
import { dashboardRouter, type DashboardSettings } from './dashboard';
import { errorHandler, notFound } from './errors';
import { organizationRateLimit, type RateLimitSettings } from './rateLimit';
import { traceRequests } from './tracing';

export interface AppDeps {
  /** The procedure contracts: their routes are the API. */
  contracts: readonly Contract[];
  runProcedure: RunProcedure;
  verifyToken(authorization: string | undefined): Promise<HeraClaims>;
  /** Resolves when the token's organization may call the API; rejects with a 403 HeraError when not. */
  admitOrganization(organizationId: string): Promise<void>;
  /** The dependencies that do not answer now (database, temporal); none = ready. */
  checkReady(): Promise<Array<'database' | 'temporal'>>;
  /** The OpenAPI document served at /api/v1/openapi.json and shown at /docs. */
  openApi: object;
  /** Per-organization request limits (HERA_RATE_LIMIT_RPS, HERA_RATE_LIMIT_BURST). */
  rateLimit: RateLimitSettings;
  /** What the dashboard at /dashboard links into. */
  dashboard: DashboardSettings;
}

export type Authenticated = Request & { caller?: Caller };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Swagger UI (from swagger-ui-dist, served under /docs) over the generated document. */
const swaggerPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>HERA Workflow Ops API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({ url: '/api/v1/openapi.json', dom_id: '#swagger-ui' });</script>
</body></html>`;

/** The request body as an object: JSON, or YAML when sent as application/yaml; none = {}. */
function requestBody(req: Request): Record<string, unknown> {
  let body: unknown = req.body ?? {};
  if (typeof body === 'string') {
    try {
      body = YAML.parse(body) ?? {};
    } catch (error) {
      throw new HeraError('INVALID_YAML', 400, `the body is not valid YAML: ${(error as Error).message}`);
    }
  }
  if (!isPlainObject(body)) {
    throw new HeraError('VALIDATION_FAILED', 400, 'the body must be an object', {
      fields: [{ field: '(body)', message: 'expected an object' }],
    });
  }
  return body;
}

/** The HTTP face of HERA: authentication, then `runProcedure`, nothing else. */
export function createApp({ contracts, runProcedure, verifyToken, admitOrganization, checkReady, openApi, rateLimit, dashboard }: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  app.use((req, res, next) => {
    const correlationId = req.get('X-Correlation-ID') || randomUUID();
    res.setHeader('X-Correlation-ID', correlationId);
    const end = httpDuration.startTimer({ method: req.method });
    res.on('finish', () => end({ route: req.route?.path ?? 'unmatched', status: res.statusCode }));
    next();
  });
  // The API's requests, not the probes and scrapes (/healthz, /readyz, /metrics) every few seconds.
  if (tracingOn()) app.use('/api/v1', traceRequests);
  app.use(refuseLargeBodies);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    // Names what is down, never why: driver messages carry hosts, users and connection strings.
    const down = await checkReady();
    if (down.length === 0) {
      res.json({ status: 'ready' });
      return;
    }
    res.status(503).json({ error: { code: 'NOT_READY', message: `not ready: ${down.join(', ')} unavailable`, details: { down } } });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });

  app.get('/api/v1/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  app.get('/docs', (_req, res) => {
    res.type('html').send(swaggerPage);
  });
  app.use('/docs', express.static(getAbsoluteFSPath(), { index: false }));

  const authenticate: RequestHandler = async (req: Authenticated, _res, next) => {
    try {
      const claims = await verifyToken(req.get('Authorization'));
      await admitOrganization(claims.org);
      req.caller = { userId: claims.sub, organizationId: claims.org, roles: claims.roles };
      next();
    } catch (error) {
      next(error);
    }
  };
  const limitRequests = organizationRateLimit(rateLimit);
  app.use('/dashboard', dashboardRouter(dashboard, [authenticate, ...(limitRequests ? [limitRequests] : [])]));
  app.use(
    '/api/v1',
    authenticate,
    ...(limitRequests ? [limitRequests] : []),
    express.json({ limit: bodyLimitBytes }),
    express.text({ limit: bodyLimitBytes, type: ['application/yaml', 'application/x-yaml', 'text/yaml'] }),
  );

  for (const contract of contracts) {
    for (const route of contract.routes) {
      const method = route.method.toLowerCase() as 'get' | 'post' | 'put';
      app[method](route.path, async (req: Authenticated, res, next) => {
        try {
          const input = { ...(req.query as Record<string, unknown>), ...requestBody(req), ...req.params };
          const result = await runProcedure(contract.smart_code, input, req.caller!, {
            correlationId: String(res.getHeader('X-Correlation-ID')),
            idempotencyKey: req.get('Idempotency-Key') || null,
          });
          if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
          res.status(result.status).json(result.body);
        } catch (error) {
          next(error);
        }
      });
    }
  }

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
