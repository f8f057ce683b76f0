import { randomUUID } from 'node:crypto';
import express, { type Request, type RequestHandler } from 'express';
import type { HeraClaims } from '../auth/jwt';
import { HeraError } from '../errors';
import { httpDuration, registry } from '../metrics';
import type { RunProcedure } from '../procedures/runner';
import type { Caller } from '../procedures/types';
import { errorHandler, notFound } from './errors';
import { routes } from './routes';

export interface AppDeps {
  runProcedure: RunProcedure;
  verifyToken(authorization: string | undefined): Promise<HeraClaims>;
  /** Resolves when the database and Temporal answer; rejects naming what does not. */
  checkReady(): Promise<void>;
}

type Authenticated = Request & { caller?: Caller };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The HTTP face of HERA: authentication, then `runProcedure`, nothing else. */
export function createApp({ runProcedure, verifyToken, checkReady }: AppDeps): express.Express {
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

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await checkReady();
      res.json({ status: 'ready' });
    } catch (error) {
      res.status(503).json({ error: { code: 'NOT_READY', message: String((error as Error).message), details: {} } });
    }
  });
  app.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });

  const authenticate: RequestHandler = async (req: Authenticated, _res, next) => {
    try {
      const claims = await verifyToken(req.get('Authorization'));
      req.caller = { userId: claims.sub, organizationId: claims.org, roles: claims.roles };
      next();
    } catch (error) {
      next(error);
    }
  };
  app.use('/api/v1', authenticate, express.json({ limit: '1mb' }));

  for (const route of routes) {
    app[route.method](route.path, async (req: Authenticated, res, next) => {
      try {
        const body: unknown = req.body ?? {};
        if (!isPlainObject(body)) throw new HeraError('VALIDATION_FAILED', 400, 'the body must be a JSON object', { fields: [{ field: '(body)', message: 'expected an object' }] });
        const input = { ...(req.query as Record<string, unknown>), ...body, ...req.params };
        const result = await runProcedure(route.smartCode, input, req.caller!, {
          correlationId: String(res.getHeader('X-Correlation-ID')),
        });
        res.status(result.status).json(result.body);
      } catch (error) {
        next(error);
      }
    });
  }

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
