/**
 * The express application, in the order a request meets it: request ID and
 * security headers; the probes, /metrics and the docs; the guard (operation,
 * API key, role, rate limit, counted cluster-wide in the database); the JSON
 * body; the Idempotency-Key check; the routes; the problem+json error handler.
 */
import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { dirname } from 'node:path';
import type { ApiKey } from '../config/api-keys';
import { createLogger, type Logger } from '../observability/logger';
import { buildOpenApi } from './openapi';
import { HttpProblem, notFoundHandler, problemHandler } from './errors';
import { idempotency } from './idempotency';
import { createApiMetrics, type ApiMetrics } from './metrics';
import { listOperations, methodsOf, operationMatcher } from './operations';
import { RESOURCES } from './routes';
import { callerOf, guard, operationOf } from './security/guard';
import { RateLimiter } from './security/rate-limit';
import type { ServiceDeps } from './services/deps';

export interface SecurityOptions {
  keys: ApiKey[];
  rateLimitPerMinute: number;
  idempotencyTtlHours: number;
  /** How long a running request's claim on its Idempotency-Key holds without renewal (default 30). */
  idempotencyLeaseSeconds?: number;
  /** Proxies in front of the API whose X-Forwarded-For is trusted (0: none). */
  trustedProxies?: number;
}

export interface AppDeps extends ServiceDeps {
  publicBaseUrl: string;
  security: SecurityOptions;
  /** name -> probe; /readyz answers 503 when one fails. */
  readiness: Record<string, () => Promise<unknown>>;
  logger?: Logger;
  metrics?: ApiMetrics;
}

/** Served before the guard: no key, no rate limit (probes and scrapers call them often). */
const PROBES: Record<string, true> = { '/healthz': true, '/readyz': true, '/metrics': true };

const DOCS_HTML = `<!doctype html><html><head><meta charset="utf-8"><title>XS-Key back-office API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head><body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script><script src="/docs/init.js"></script></body></html>`;

export function createApp(deps: AppDeps): Express {
  const logger = deps.logger ?? createLogger('info', { service: 'api' });
  const metrics = deps.metrics ?? createApiMetrics();
  const openapi = buildOpenApi(deps.publicBaseUrl);
  const operations = listOperations(openapi.paths);
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.set('trust proxy', deps.security.trustedProxies ?? 0);

  app.use((req, res, next) => {
    const incoming = req.get('x-request-id');
    res.locals.requestId = incoming && /^[\w-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', res.locals.requestId);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const operation = operationOf(res)?.operationId ?? (req.path in PROBES ? req.path.slice(1) : 'unmatched');
      const caller = callerOf(res)?.name ?? 'anonymous';
      metrics.observe({ operation, method: req.method, status: res.statusCode, seconds, caller });
      // IDs only: no query string, no body, the key by its name.
      logger.info('request', {
        requestId: res.locals.requestId,
        method: req.method,
        path: req.path,
        operation,
        caller,
        status: res.statusCode,
        ms: Math.round(seconds * 1e4) / 10,
      });
    });
    next();
  });

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

  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
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

  // The methods of a path are those of its most literal template in the document: OPTIONS lists them, any
  // other method is a 405 naming them (express alone would try /accounts/{accountId} for GET /accounts/activate).
  const methods = methodsOf(operations);
  app.use((req, res, next) => {
    const allowed = methods(req.path);
    if (!allowed.length) return next();
    if (req.method === 'OPTIONS') {
      res.setHeader('Allow', allowed.join(', '));
      return void res.status(204).end();
    }
    if (allowed.includes(req.method) || (req.method === 'HEAD' && allowed.includes('GET'))) return next();
    res.setHeader('Allow', allowed.join(', '));
    next(new HttpProblem(405, 'Method not allowed', `${req.method} is not offered here; use ${allowed.join(', ')}`));
  });

  app.use(
    guard({
      keys: deps.security.keys,
      limiter: new RateLimiter({ perMinute: deps.security.rateLimitPerMinute, slots: deps.models.RateLimitSlot, logger }),
      operationOf: operationMatcher(operations),
    }),
  );
  app.use(express.json({ limit: '100kb' }));
  app.use(
    idempotency({
      models: deps.models,
      ttlHours: deps.security.idempotencyTtlHours,
      ...(deps.security.idempotencyLeaseSeconds ? { leaseMs: deps.security.idempotencyLeaseSeconds * 1000 } : {}),
      ...(deps.now ? { now: deps.now } : {}),
    }),
  );

  for (const resource of RESOURCES) app.use(resource.mount, resource.router(deps));

  app.use(notFoundHandler);
  app.use(problemHandler(logger));
  return app;
}
