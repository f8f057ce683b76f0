import path from 'node:path';
import express, { type RequestHandler } from 'express';
import type { Authenticated } from './app';

/** The dashboard's page, script and style: plain files, served as they are (no build step). */
const dashboardDir = path.resolve(__dirname, '../../dashboard');

/** uPlot's browser build, served from its package. */
const uplotDist = path.join(path.dirname(require.resolve('uplot/package.json')), 'dist');

export interface DashboardSettings {
  /** The Temporal Web UI the page links into (HERA_TEMPORAL_UI_URL); null: the page shows API links only. */
  temporalUiUrl: string | null;
  namespace: string;
  /** The SLA sweep's Temporal Schedule, whose page the sweep's tiles link to. */
  sweepScheduleId: string;
}

/**
 * Scripts, styles and requests from this origin only, no inline script, no form posted anywhere: the page holds a
 * bearer token in sessionStorage, so nothing but its own files may run in it.
 */
const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The operations dashboard under /dashboard: its files, uPlot's, and `config.json` (behind `authenticate`), which
 * tells the page the caller's organization (from the verified token) and where the Temporal UI is.
 */
export function dashboardRouter(settings: DashboardSettings, authenticate: RequestHandler[]): express.Router {
  const router = express.Router();
  router.use((_req, res, next) => {
    res.setHeader('Content-Security-Policy', contentSecurityPolicy);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  });
  router.get('/', (_req, res) => {
    res.sendFile(path.join(dashboardDir, 'index.html'));
  });
  router.get('/config.json', ...authenticate, (req: Authenticated, res) => {
    res.json({
      organization_id: req.caller!.organizationId,
      temporal_ui_url: settings.temporalUiUrl,
      temporal_namespace: settings.namespace,
      sweep_schedule_id: settings.sweepScheduleId,
    });
  });
  for (const file of ['uPlot.iife.min.js', 'uPlot.min.css']) {
    router.get(`/${file}`, (_req, res) => {
      res.sendFile(path.join(uplotDist, file));
    });
  }
  router.use(express.static(dashboardDir, { index: false, redirect: false }));
  return router;
}
