/**
 * The express application, in the order a request meets it: request ID and
 * security headers; the path's spelling (only the canonical one is served);
 * the docs; the router (which endpoint: routes/); the guard (API key, rate
 * limit, counted cluster-wide in the database; role); the JSON body; the Idempotency-Key check; the endpoint's
 * handler (inside the request's context: its trace span, its ID and caller for the Temporal headers and Update
 * IDs, and one deadline for all its Temporal calls); the problem+json error handler. Router, guard, metrics and the
 * OpenAPI document all read the one list of endpoint declarations.
 */
import { randomUUID } from 'node:crypto';
import { context, SpanKind, trace } from '@opentelemetry/api';
import express, { type Express } from 'express';
import { dirname } from 'node:path';
import type { ApiKey } from '../config/api-keys';
import { createLogger, requestLog, type Logger } from '../observability/logger';
import { requestContext } from '../observability/request-context';
import type { Tracing } from '../observability/tracing';
import { DEFAULT_CALL_TIMEOUT_MS } from '../config/temporal';
import { buildOpenApi } from './openapi';
import { problemHandler } from './errors';
import { idempotency } from './idempotency';
import { createApiMetrics, type ApiMetrics } from './metrics';
import { canonicalPath, createRouter, operationOf } from './operations';
import { cachedReadiness, type Probe, type Readiness } from './readiness';
import { ENDPOINTS, RESOURCES, type RouteDeps } from './routes';
import { checkPolicy } from './security/access-policy';
import { callerOf, guard } from './security/guard';
import { RateLimiter } from './security/rate-limit';
import type { ServiceDeps } from './services/deps';

export interface SecurityOptions {
  keys: ApiKey[];
  rateLimitPerMinute: number;
  idempotencyTtlHours: number;
  /** Keys the Idempotency-Key fingerprints (api/idempotency.ts fingerprintKey); the local one when absent. */
  fingerprintKey?: Buffer;
  /** How long a running request's claim on its Idempotency-Key holds without renewal (default 30). */
  idempotencyLeaseSeconds?: number;
  /** Proxies in front of the API whose X-Forwarded-For is trusted (0: none). */
  trustedProxies?: number;
}

export interface AppDeps extends ServiceDeps {
  publicBaseUrl: string;
  security: SecurityOptions;
  /** name -> probe; /readyz answers 503 when one fails. Probes run at most once per `readinessMaxAgeMs`. */
  readiness: Record<string, Probe> | (() => Promise<Readiness>);
  /** How long /readyz reuses its answer (default 5 s). */
  readinessMaxAgeMs?: number;
  logger?: Logger;
  metrics?: ApiMetrics;
  /** Spans of requests (default: the global tracer, which drops them unless one was registered). */
  tracing?: Tracing;
  /** The deadline of all Temporal calls of one request together (TEMPORAL_CALL_TIMEOUT_MS; default 10 s). */
  temporalDeadlineMs?: number;
}

const DOCS_HTML = `<!doctype html><html><head><meta charset="utf-8"><title>XS-Key back-office API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head><body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script><script src="/docs/init.js"></script></body></html>`;

export function createApp(deps: AppDeps): Express {
  const logger = deps.logger ?? createLogger('info', { service: 'api' });
  const metrics = deps.metrics ?? createApiMetrics();
  checkPolicy(ENDPOINTS);
  const openapi = buildOpenApi(deps.publicBaseUrl);
  const ready =
    typeof deps.readiness === 'function'
      ? deps.readiness
      : cachedReadiness(deps.readiness, deps.readinessMaxAgeMs === undefined ? {} : { maxAgeMs: deps.readinessMaxAgeMs });
  const routeDeps: RouteDeps = { ...deps, probes: { ready, registry: metrics.registry } };
  const router = createRouter({
    endpoints: RESOURCES.flatMap((r) => {
      const service = r.service(routeDeps);
      return r.endpoints.map((endpoint) => ({ endpoint, service }));
    }),
    onHandler: (operation, res) => metrics.handlerEntered(operation.operationId, callerOf(res)?.role ?? 'none'),
    onUnchecked: (req, res) =>
      requestLog(res, logger).error({
        method: req.method,
        path: req.path,
        operation: operationOf(res)?.operationId,
      }, 'a handler was reached without an authorized operation; refused'),
  });
  const app = express();
  app.disable('x-powered-by');
  // Exact routing for the few routes express itself serves (the docs); the API's own router is exact by construction.
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  app.set('query parser', 'simple');
  app.set('trust proxy', deps.security.trustedProxies ?? 0);

  const tracer = deps.tracing?.tracer ?? trace.getTracer('xs-backoffice');
  const deadlineMs = deps.temporalDeadlineMs ?? DEFAULT_CALL_TIMEOUT_MS;

  app.use((req, res, next) => {
    const incoming = req.get('x-request-id');
    res.locals.requestId = incoming && /^[\w-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    res.locals.log = logger.child({ requestId: res.locals.requestId });
    const span = tracer.startSpan(`${req.method} ${req.path}`, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': req.method, 'url.path': req.path, 'xs.request_id': res.locals.requestId },
    });
    res.locals.span = span;
    res.once('close', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      const operation = operationOf(res)?.operationId;
      if (operation) span.updateName(`${req.method} ${operation}`);
      span.end();
    });
    res.setHeader('X-Request-Id', res.locals.requestId);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const operation = operationOf(res)?.operationId ?? 'unmatched';
      const caller = callerOf(res)?.name ?? 'anonymous';
      metrics.observe({ operation, method: req.method, status: res.statusCode, seconds, caller });
      // IDs only: no query string, no body, the key by its name.
      requestLog(res, logger).info({
        method: req.method,
        path: req.path,
        operation,
        caller,
        status: res.statusCode,
        ms: Math.round(seconds * 1e4) / 10,
      }, 'request');
    });
    next();
  });

  // Before anything reads the path: one spelling per path, so nothing can read it differently.
  app.use(canonicalPath);

  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  const swaggerDir = dirname(require.resolve('swagger-ui-dist/package.json'));
  app.use('/docs/assets', express.static(swaggerDir, { index: false, redirect: false }));
  app.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(`SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', deepLinking: true });`);
  });
  app.get('/docs', (_req, res) => {
    res.type('html').send(DOCS_HTML);
  });

  app.use(router.route);
  app.use(
    guard({
      keys: deps.security.keys,
      limiter: new RateLimiter({ perMinute: deps.security.rateLimitPerMinute, slots: deps.models.RateLimitSlot, logger }),
      onUnrouted: (req) => logger.error({ method: req.method, path: req.path }, 'a request reached the guard without an operation; refused'),
    }),
  );
  app.use(express.json({ limit: '100kb' }));
  app.use(
    idempotency({
      models: deps.models,
      ttlHours: deps.security.idempotencyTtlHours,
      ...(deps.security.fingerprintKey ? { fingerprintKey: deps.security.fingerprintKey } : {}),
      ...(deps.security.idempotencyLeaseSeconds ? { leaseMs: deps.security.idempotencyLeaseSeconds * 1000 } : {}),
      ...(deps.now ? { now: deps.now } : {}),
    }),
  );
  // The handler runs in the request's context: its span (parent of the Temporal client's spans), its ID and
  // caller (Temporal headers, Update IDs: observability/request-context.ts), and one deadline for all its
  // Temporal calls, so none waits longer than the client would (an Update still running is answered 202).
  app.use((req, res, next) => {
    const caller = callerOf(res);
    const operation = operationOf(res);
    const key = req.method === 'GET' || req.method === 'HEAD' ? undefined : req.get('idempotency-key');
    const ctx = {
      requestId: res.locals.requestId as string,
      caller: caller?.role ? caller.name : `anonymous@${req.ip}`,
      ...(key ? { idempotencyKey: key } : {}),
      ...(operation ? { operationId: operation.operationId, sendsUpdate: operation.sendsUpdate === true } : {}),
    };
    const deadline = Date.now() + deadlineMs;
    context.with(trace.setSpan(context.active(), res.locals.span), () =>
      requestContext.run(ctx, () =>
        void deps.temporal.withDeadline(deadline, async () => {
          next();
        }),
      ),
    );
  });
  app.use(router.dispatch);

  app.use(problemHandler(logger));
  return app;
}
