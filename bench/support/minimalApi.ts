import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import express, { type Request, type Response } from 'express';
import { jwtVerify } from 'jose';
import type { Db } from '../../src/db/pool';
import { listInstances } from '../../src/db/queries/instancesList';
import { getInstance, instanceChildren, listTasks } from '../../src/db/queries/readModels';
import { instanceWorkflowId } from '../../src/temporal/ids';
import { advanceUpdate } from '../../src/workflows/messages';

export interface MinimalApi {
  url: string;
  close(): Promise<void>;
}

/**
 * The API benchmark's floor: a bare Express app doing what each measured route must do and nothing else: the
 * same HS256 verification (jose), the same transaction with the organization set (Db.withOrg), the same query
 * functions with the routes' default arguments, JSON out; the advance sends the same Temporal Update directly.
 */
export async function startMinimalApi(secret: string, db: Db, temporal: Client): Promise<MinimalApi> {
  const key = new TextEncoder().encode(secret);
  const claimsOf = async (req: Request) => {
    const token = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? '';
    const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], requiredClaims: ['exp'] });
    return { userId: String(payload.sub), org: String(payload.org), roles: payload.roles as string[] };
  };
  // Answers still being worked on when a load generator hangs up; close() waits for them.
  const working = new Set<Promise<unknown>>();
  const route = (handler: (req: Request, claims: Awaited<ReturnType<typeof claimsOf>>) => Promise<unknown>) => async (req: Request, res: Response) => {
    let claims;
    try {
      claims = await claimsOf(req);
    } catch {
      res.status(401).json({ error: 'unauthenticated' });
      return;
    }
    const answer = handler(req, claims);
    working.add(answer);
    try {
      res.json(await answer);
    } catch (error) {
      res.status(500).json({ error: String(error) });
    } finally {
      working.delete(answer);
    }
  };
  const newest = { by: 'created_at' as const, order: 'desc' as const };
  const app = express();
  app.get('/api/v1/workflows', route(async (_req, { org }) => ({ instances: (await db.withOrg(org, (sql) => listInstances(sql, org, {}, newest, 50, null))).rows })));
  app.get('/api/v1/workflows/:id', route((req, { org }) =>
    db.withOrg(org, async (sql) => ({ instance: await getInstance(sql, org, String(req.params.id)), ...(await instanceChildren(sql, org, String(req.params.id), 100)) }))));
  app.get('/api/v1/tasks', route(async (_req, { org }) => ({ tasks: (await db.withOrg(org, (sql) => listTasks(sql, org, {}, newest, 50, null))).rows })));
  app.post('/api/v1/workflows/:id/advance', express.json(), route((req, { org, userId, roles }) =>
    temporal.workflow.getHandle(instanceWorkflowId(org, String(req.params.id))).executeUpdate(advanceUpdate, {
      args: [{ to_state: String(req.body.to_state), payload: {}, actor: { userId, roles }, idempotency_key: null, request_hash: randomUUID(), correlation_id: null }],
    })));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await Promise.allSettled([...working]);
    },
  };
}
