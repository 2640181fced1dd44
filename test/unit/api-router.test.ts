/**
 * The router's structural guarantees, over HTTP on a bare express app (no
 * guard unless the test adds one): a handler runs only for the operation the
 * guard checked, so an app assembled without the guard, or a guard that
 * checked another operation, fails closed (500, logged, handler not entered);
 * two endpoints cannot claim one operationId or one method and path.
 */
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import { z } from 'zod';
import { problemHandler } from '../../api/errors';
import { canonicalPath, createRouter, endpointsFor, markChecked, operationOf, type Endpoint } from '../../api/operations';
import { ENDPOINTS } from '../../api/routes';
import { createLogger } from '../../observability/logger';

const endpoint = endpointsFor<{ entered: string[] }>();
const service = { entered: [] as string[] };
const hello = endpoint({
  method: 'get',
  path: '/v1/things/{thingId}',
  operationId: 'getThing',
  summary: 'A thing',
  params: z.strictObject({ thingId: z.string() }),
  responses: {},
  handle: ({ params }, res, s) => {
    s.entered.push(params.thingId);
    res.json({ thingId: params.thingId });
  },
});
const other = endpoint({ method: 'get', path: '/v1/others', operationId: 'listOthers', summary: 'Others', responses: {}, handle: (_i, res) => res.json([]) });

async function serve(between: RequestHandler[]) {
  const unchecked: string[] = [];
  const router = createRouter({
    endpoints: [hello, other].map((e) => ({ endpoint: e as Endpoint, service })),
    onUnchecked: (req) => unchecked.push(req.path),
  });
  const app = express();
  app.use(canonicalPath, router.route, ...between, router.dispatch);
  app.use(problemHandler(createLogger('error', { service: 'test' }, () => undefined)));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, unchecked, close: () => new Promise((resolve) => server.close(resolve)) };
}

beforeEach(() => void (service.entered.length = 0));

test('without the guard no handler runs: 500, logged, not entered', async () => {
  const s = await serve([]);
  try {
    const res = await fetch(`${s.base}/v1/things/t1`);
    expect(res.status).toBe(500);
    expect(s.unchecked).toEqual(['/v1/things/t1']);
    expect(service.entered).toEqual([]);
  } finally {
    await s.close();
  }
});

test('a check of another operation does not open this one; a check of this one does', async () => {
  const wrong: RequestHandler = (_req, res, next) => {
    markChecked(res, other as Endpoint);
    next();
  };
  const right: RequestHandler = (_req, res, next) => {
    markChecked(res, operationOf(res)!);
    next();
  };
  const s = await serve([wrong]);
  try {
    expect((await fetch(`${s.base}/v1/things/t1`)).status).toBe(500);
    expect(service.entered).toEqual([]);
  } finally {
    await s.close();
  }
  // res.locals is writable by any middleware, so the check lives in a WeakMap only markChecked fills.
  const forged: RequestHandler = (_req, res, next) => {
    res.locals.checked = true;
    res.locals.operation = hello;
    next();
  };
  const f = await serve([forged]);
  try {
    expect((await fetch(`${f.base}/v1/things/t1`)).status).toBe(500);
  } finally {
    await f.close();
  }
  const ok = await serve([right]);
  try {
    const res = await fetch(`${ok.base}/v1/things/t1`);
    expect(res.status).toBe(200);
    expect(service.entered).toEqual(['t1']);
    expect((await fetch(`${ok.base}/v1/things/t1`, { method: 'HEAD' })).status).toBe(200);
  } finally {
    await ok.close();
  }
});

test('only the canonical spelling is routed (percent-encoding decoded once)', async () => {
  const right: RequestHandler = (_req, res, next) => {
    markChecked(res, operationOf(res)!);
    next();
  };
  const s = await serve([right]);
  try {
    for (const path of ['/V1/things/t1', '/v1/Things/t1', '/v1/things/t1/', '/v1//things/t1', '/v1/./things/t1', '/v1/x/../things/t1', '/v1/%2e/things/t1', '/v1%2Fthings/t1', '/v1/things/t%2F1', '/v1/things/%251', '/v1/things/%E0%A4%A', '/v1/things']) {
      // As sent: fetch would resolve the dot segments first.
      const status = await new Promise<number>((resolve, reject) => {
        const url = new URL(s.base);
        request({ host: url.hostname, port: url.port, path }, (res) => resolve(res.resume().statusCode ?? 0)).on('error', reject).end();
      });
      expect([path, status >= 400 && status < 500]).toEqual([path, true]);
    }
    expect(service.entered).toEqual([]);
    // Percent-encoding is decoded once: the canonical path, served as such (parameters decoded too).
    expect((await fetch(`${s.base}/v1/%74hings/t%31`)).status).toBe(200);
    expect(service.entered).toEqual(['t1']);
  } finally {
    await s.close();
  }
});

test('two endpoints cannot share an operationId or a method and path; the API declares each once', () => {
  const same = { ...hello, operationId: 'getThingAgain', path: '/v1/things/{otherName}' } as Endpoint;
  expect(() => createRouter({ endpoints: [hello, same].map((e) => ({ endpoint: e as Endpoint, service })), onUnchecked: () => undefined })).toThrow(/two endpoints answer get/);
  const twin = { ...other, path: '/v1/twins' } as Endpoint;
  expect(() => createRouter({ endpoints: [other, twin].map((e) => ({ endpoint: e as Endpoint, service })), onUnchecked: () => undefined })).toThrow(/two endpoints are called listOthers/);
  expect(() => createRouter({ endpoints: ENDPOINTS.map((endpoint) => ({ endpoint, service })), onUnchecked: () => undefined })).not.toThrow();
});
