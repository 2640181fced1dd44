/**
 * The API's endpoints: one declaration each (method, path template,
 * operationId, request schemas, answers, handler), in api/routes/<resource>.ts.
 * Everything else is derived from that one list, so nothing can disagree with
 * it: the router below, the guard (security/guard.ts, which decides on the
 * operation the router found), the rate limiter, the metrics' operation label
 * and the OpenAPI document (openapi.ts).
 *
 * Routing is exact: a path is served only in its canonical spelling (case-
 * sensitive; no trailing or duplicate slash, dot segment, encoded slash;
 * percent-encoding is decoded once, before anything reads the path; see
 * `canonicalPath`), HEAD is GET, and a handler runs only for the operation
 * the guard checked (`checked`), or the request is refused with 500 and logged.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { HttpProblem } from './errors';
import { parse } from './validation';

export type Method = 'get' | 'put' | 'post' | 'delete' | 'patch';
export const METHODS: readonly Method[] = ['get', 'put', 'post', 'delete', 'patch'];

/** What access control, rate limits, metrics and the tests key on. */
export interface Operation {
  operationId: string;
  method: string;
  /** The OpenAPI path template, e.g. /v1/cards/{cardNumber}. */
  path: string;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

/** The validated request a handler gets (and the raw one, for what no schema covers). */
export interface Input<P, Q, B> {
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
  req: Request;
}

/** One endpoint. `S` is what its handler works with (the resource's service). */
export interface EndpointSpec<S, P extends z.ZodObject | undefined, Q extends z.ZodObject | undefined, B extends z.ZodType | undefined> {
  method: Method;
  /** OpenAPI template with {name} parameters, each described by `params`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  params?: P;
  query?: Q;
  body?: B;
  /** Whether the body may be left out (it is then validated as `{}`); default: required when `body` is given. */
  bodyOptional?: boolean;
  /** false: not rate limited. Only for what costs nothing and must answer under any load (the liveness probe). */
  rateLimited?: boolean;
  /** false: an Idempotency-Key is refused (400), for what must be judged afresh every time (a sign-in: a replayed answer would skip a lock). */
  idempotent?: boolean;
  /**
   * The handler sends a workflow Update (api/services/updates.ts): an outcome still pending at the deadline is
   * answered 202 with a Location to read it (GET /v1/cases/{workflowId}/updates/{updateId}); the OpenAPI document
   * declares that answer from this flag. An Update sent through updates.ts while serving an endpoint without it
   * fails there, so no Update endpoint can be missing its 202. (The sign-in's Update is the one exception: it is
   * judged afresh every time and never answered 202; its timeout is a 503, api/services/sign-in.ts.)
   */
  sendsUpdate?: true;
  /** Parameters documented by hand, for what the handler reads itself. */
  parameters?: unknown[];
  /** The OpenAPI answers (status -> response object); 401, 403, 429 and 503 are added from the access policy. */
  responses: Record<string, unknown>;
  handle(input: Input<P, Q, B>, res: Response, service: S): unknown;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the list holds endpoints of every resource
export type Endpoint<S = any> = EndpointSpec<S, any, any, any>;

/** The typed declaration function of a resource whose handlers work with an `S`. */
export const endpointsFor =
  <S>() =>
  <P extends z.ZodObject | undefined = undefined, Q extends z.ZodObject | undefined = undefined, B extends z.ZodType | undefined = undefined>(
    spec: EndpointSpec<S, P, Q, B>,
  ): Endpoint<S> =>
    spec;

/** The operations of an OpenAPI `paths` object (for tests and tools that read the document). */
export function listOperations(paths: Record<string, Record<string, { operationId?: string } | undefined>>): Operation[] {
  return Object.entries(paths).flatMap(([path, item]) =>
    METHODS.flatMap((method) => {
      const op = item[method];
      if (!op) return [];
      if (!op.operationId) throw new Error(`OpenAPI: ${method.toUpperCase()} ${path} has no operationId`);
      return [{ operationId: op.operationId, method, path }];
    }),
  );
}

/**
 * One reading of the path for everything after it: a router and a guard that
 * read a path the same way cannot be played against each other. The path is
 * percent-decoded once, per segment, and served only if the result is
 * canonical: exact case (the router compares exactly), no trailing or
 * duplicate slash, no dot segment, no encoded slash, backslash, percent sign
 * or control character. So /v1/%63ases/x is routed and authorized exactly as
 * /v1/cases/x, and every other odd spelling is a 400 before any route.
 * The decoded path is res.locals.routePath.
 */
export const canonicalPath: RequestHandler = (req, res, next) => {
  const raw = req.url.split('?', 1)[0]!;
  let segments: string[] | undefined;
  try {
    segments = raw.split('/').map((s) => (s.includes('%') ? decodeURIComponent(s) : s));
  } catch {
    // malformed percent-encoding
  }
  const why =
    !segments ? 'its percent-encoding is malformed'
    : !raw.startsWith('/') ? 'it is not an absolute path'
    : raw.length > 1 && raw.endsWith('/') ? 'it ends with a slash'
    : segments.slice(1).some((s) => s === '') ? 'it has an empty segment (a duplicate slash)'
    : segments.some((s) => s === '.' || s === '..') ? 'it has a dot segment'
    : segments.some((s) => /[/\\%\u0000-\u001f\u007f]/.test(s)) ? 'it has an encoded slash, a backslash, a percent sign or a control character'
    : undefined;
  if (why) return next(new HttpProblem(400, 'Bad request', `the path is not in its canonical form: ${why}`));
  res.locals.routePath = segments!.join('/');
  next();
};

interface Compiled {
  endpoint: Endpoint;
  segments: string[];
}

const PARAM = /^\{([^}]+)\}$/;

/** Of two templates of one length, the more literal one: literal segments win over parameters, left to right. */
function moreLiteral(a: Compiled, b: Compiled): number {
  for (let i = 0; i < Math.min(a.segments.length, b.segments.length); i++) {
    const pa = PARAM.test(a.segments[i]!);
    const pb = PARAM.test(b.segments[i]!);
    if (pa !== pb) return pa ? 1 : -1;
  }
  return 0;
}

function matchTemplate(segments: string[], path: string[]): Record<string, string> | undefined {
  if (segments.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const name = PARAM.exec(segments[i]!)?.[1];
    if (name) params[name] = path[i]!;
    else if (segments[i] !== path[i]) return undefined; // exact and case-sensitive
  }
  return params;
}

export interface Router {
  /** Finds the endpoint (res.locals.operation, res.locals.pathParams); OPTIONS, 405 and 404 are answered here. */
  route: RequestHandler;
  /** Runs the endpoint's handler, with validated input; refuses (500, logged) a request the guard did not check. */
  dispatch: RequestHandler;
}

/** Marks, for the guard only, which operation a request was authorized for. */
const CHECKED = new WeakMap<Response, Endpoint>();
export const markChecked = (res: Response, operation: Endpoint): void => void CHECKED.set(res, operation);
export const operationOf = (res: Response): Endpoint | undefined => res.locals.operation as Endpoint | undefined;

export interface RouterOptions {
  /** Every endpoint with the service its handler works with. */
  endpoints: { endpoint: Endpoint; service: unknown }[];
  /** Told of every handler entry (metrics; tests count them). */
  onHandler?: (operation: Endpoint, res: Response) => void;
  /** Told of a request that reached dispatch without a check: a bug. */
  onUnchecked: (req: Request, res: Response) => void;
}

export function createRouter(options: RouterOptions): Router {
  const services = new Map(options.endpoints.map(({ endpoint, service }) => [endpoint, service]));
  const ids = new Set<string>();
  const keys = new Set<string>();
  for (const { endpoint: e } of options.endpoints) {
    if (ids.has(e.operationId)) throw new Error(`two endpoints are called ${e.operationId}`);
    ids.add(e.operationId);
    const key = `${e.method} ${e.path.replace(/\{[^}]+\}/g, '{}')}`;
    if (keys.has(key)) throw new Error(`two endpoints answer ${key}`);
    keys.add(key);
  }
  const compiled: Compiled[] = options.endpoints.map(({ endpoint }) => ({ endpoint, segments: endpoint.path.split('/') }));

  const route: RequestHandler = (req, res, next) => {
    const path = ((res.locals.routePath as string | undefined) ?? req.path).split('/');
    // The most literal template that matches decides the methods: /accounts/activate, not /accounts/{accountId}.
    let best: { c: Compiled; template: string; params: Record<string, string> } | undefined;
    for (const c of compiled) {
      const params = matchTemplate(c.segments, path);
      if (params && (!best || moreLiteral(c, best.c) < 0)) best = { c, template: c.endpoint.path, params };
    }
    if (!best) return next(new HttpProblem(404, 'Not found', `no route for ${req.method} ${res.locals.routePath ?? req.path}`));
    const here = compiled.filter((c) => c.endpoint.path === best.template).map((c) => c.endpoint);
    const allowed = METHODS.filter((m) => here.some((e) => e.method === m)).map((m) => m.toUpperCase());
    const method = req.method === 'HEAD' ? 'get' : req.method.toLowerCase();
    const endpoint = here.find((e) => e.method === method);
    if (!endpoint) {
      res.setHeader('Allow', allowed.join(', '));
      if (req.method === 'OPTIONS') return void res.status(204).end();
      return next(new HttpProblem(405, 'Method not allowed', `${req.method} is not offered here; use ${allowed.join(', ')}`));
    }
    res.locals.operation = endpoint;
    res.locals.pathParams = best.params;
    next();
  };

  const dispatch = (req: Request, res: Response, next: NextFunction) => {
    const endpoint = operationOf(res);
    // Fail closed: only the operation the guard checked runs, never one found any other way.
    if (!endpoint || CHECKED.get(res) !== endpoint) {
      options.onUnchecked(req, res);
      return next(new HttpProblem(500, 'Internal server error', 'the request was not authorized; it was refused and logged'));
    }
    options.onHandler?.(endpoint, res);
    Promise.resolve()
      .then(() => {
        const input = {
          params: endpoint.params ? parse(endpoint.params, res.locals.pathParams, 'path') : undefined,
          query: endpoint.query ? parse(endpoint.query, req.query, 'query') : undefined,
          body: endpoint.body ? parse(endpoint.body, endpoint.bodyOptional ? (req.body ?? {}) : req.body) : undefined,
          req,
        };
        return endpoint.handle(input, res, services.get(endpoint));
      })
      .catch(next);
  };

  return { route, dispatch };
}
