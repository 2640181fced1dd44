/** The express application: middleware, routes, docs and the problem+json error handler. */
import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { dirname } from 'node:path';
import { buildOpenApi } from './openapi';
import { notFoundHandler, problemHandler } from './errors';
import { RESOURCES } from './routes';
import type { ServiceDeps } from './services/deps';

export interface AppDeps extends ServiceDeps {
  publicBaseUrl: string;
  /** name -> probe; /readyz answers 503 when one fails. */
  readiness: Record<string, () => Promise<unknown>>;
  log?: (msg: string, data: Record<string, unknown>) => void;
}

const DOCS_HTML = `<!doctype html><html><head><meta charset="utf-8"><title>XS-Key back-office API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head><body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script><script src="/docs/init.js"></script></body></html>`;

export function createApp(deps: AppDeps): Express {
  const log = deps.log ?? ((msg, data) => console.log(JSON.stringify({ level: 'info', msg, ...data })));
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  app.use((req, res, next) => {
    const incoming = req.get('x-request-id');
    res.locals.requestId = incoming && /^[\w-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', res.locals.requestId);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    const started = process.hrtime.bigint();
    res.on('finish', () =>
      log('request', {
        requestId: res.locals.requestId,
        method: req.method,
        path: req.path,
        status: res.statusCode,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
      }),
    );
    next();
  });
  app.use(express.json({ limit: '100kb' }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const checks = await Promise.all(
      Object.entries(deps.readiness).map(async ([name, probe]) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([probe(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), 3000)))]);
          return [name, 'ok'] as const;
        } catch {
          return [name, 'unreachable'] as const;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const ok = checks.every(([, s]) => s === 'ok');
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not-ready', checks: Object.fromEntries(checks) });
  });

  const openapi = buildOpenApi(deps.publicBaseUrl);
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  const swaggerDir = dirname(require.resolve('swagger-ui-dist/package.json'));
  app.use('/docs/assets', express.static(swaggerDir, { index: false }));
  app.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(`SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', deepLinking: true });`);
  });
  app.get(['/docs', '/docs/'], (_req, res) => {
    res.type('html').send(DOCS_HTML);
  });

  for (const resource of RESOURCES) app.use(resource.mount, resource.router(deps));

  app.use(notFoundHandler);
  app.use(problemHandler(log));
  return app;
}
