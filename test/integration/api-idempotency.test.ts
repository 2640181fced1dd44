/**
 * The Idempotency-Key middleware (api/idempotency.ts) as a component: the
 * real middleware and the real model on a FerretDB database of the file's
 * own, in a small express app whose one route is slow on purpose and counts
 * its runs, so the claim's lifetime can be driven without waiting minutes:
 *
 * - a request still running is never taken over: it renews its claim
 *   (checked with the clock jumped far past the old 120 s cut-off);
 * - a claim that really expired (its process died: nobody renews it) is taken
 *   over by the next retry;
 * - retries racing for one stale claim: exactly one runs, the others get 409
 *   with Retry-After, none a 500;
 * - anonymous callers are scoped by their address.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Database } from '../../db/connection';
import { createHash, randomBytes } from 'node:crypto';
import { fingerprint, fingerprintKey, idempotency } from '../../api/idempotency';
import { problemHandler } from '../../api/errors';
import { createLogger } from '../../observability/logger';
import { testDatabase } from '../support/servers';

/** Short, so claims expire within a test; renewals come every third of it, so a loaded machine still keeps up. */
const LEASE_MS = 1_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let db: Database;
let server: Server;
let baseUrl: string;
/** Added to the real time by the middleware's clock. */
let clockOffset = 0;
/** Runs of the route per Idempotency-Key. */
const runs = new Map<string, number>();
/** How long the route takes. */
let workMs = 0;

beforeAll(async () => {
  db = await testDatabase();
  const app = express();
  app.set('trust proxy', 1); // X-Forwarded-For names the caller's address, as behind one trusted proxy
  app.use((req, res, next) => {
    // What the guard leaves for an API key; no header: an anonymous caller.
    const name = req.get('x-test-caller');
    if (name) res.locals.caller = { name, role: 'backoffice' };
    next();
  });
  app.use(express.json());
  app.use(idempotency({ models: db.models, ttlHours: 24, leaseMs: LEASE_MS, now: () => new Date(Date.now() + clockOffset) }));
  app.post('/work', async (req, res) => {
    const key = req.get('idempotency-key')!;
    runs.set(key, (runs.get(key) ?? 0) + 1);
    await sleep(workMs);
    res.status(201).json({ run: runs.get(key), from: req.ip, body: req.body });
  });
  app.use(problemHandler(createLogger('error', { service: 'test' })));
  server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await db?.connection.dropDatabase();
  await db?.close();
});
beforeEach(() => {
  clockOffset = 0;
  workMs = 0;
});

let n = 0;
const newKey = () => `k-${Date.now()}-${++n}`;

async function post(key: string, headers: Record<string, string> = { 'x-test-caller': 'desk' }, body: unknown = { a: 1 }) {
  const res = await fetch(`${baseUrl}/work`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key, ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/** The record a crashed process leaves: pending, its lease not renewed for `ago` ms. */
async function crashedClaim(id: string, ago: number) {
  const at = Date.now() - ago;
  await db.models.IdempotencyRecord.create({
    _id: id,
    fingerprint: fingerprint('POST', '/work', { a: 1 }), // the request the retries send
    state: 'pending',
    createdAt: new Date(at),
    owner: 'dead-process',
    generation: 0,
    claimedUntil: new Date(at + LEASE_MS),
    renewedAt: new Date(at),
  });
}

test('the kept fingerprint of a request is keyed: a stolen record cannot be used to test password guesses offline', () => {
  const body = { email: 'anna@haven.example', password: 'Haven!2026xQ' };
  const canonicalBody = JSON.stringify({ email: body.email, password: body.password });
  const unkeyed = createHash('sha256').update(`POST /v1/accounts\n${canonicalBody}`).digest('hex');
  expect(fingerprint('POST', '/v1/accounts', body)).not.toBe(unkeyed);
  // Another deployment's secret, another fingerprint; the same secret, the same one (every API instance agrees).
  const key = fingerprintKey(randomBytes(32));
  expect(fingerprint('POST', '/v1/accounts', body, key)).not.toBe(fingerprint('POST', '/v1/accounts', body));
  expect(fingerprint('POST', '/v1/accounts', body, key)).toBe(fingerprint('POST', '/v1/accounts', { password: body.password, email: body.email }, key));
});

test('a request still running is never taken over: it renews its claim, even when its clock jumps past the old cut-off', async () => {
  const key = newKey();
  workMs = 5 * LEASE_MS;
  const first = post(key);
  await sleep(LEASE_MS / 2);
  clockOffset = 200_000; // past the old fixed 120 s and far past the lease
  const retries = [];
  for (let i = 0; i < 3; i++) {
    await sleep(LEASE_MS); // more than a lease: only a renewed claim survives this
    retries.push(await post(key));
  }
  for (const r of retries) {
    expect(r.status).toBe(409);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  }
  expect((await first).status).toBe(201);
  expect(runs.get(key)).toBe(1);
  const replay = await post(key);
  expect(replay.status).toBe(201);
  expect(replay.headers.get('idempotent-replayed')).toBe('true');
  expect(runs.get(key)).toBe(1);
});

test('once the answer is kept the claim is no longer renewed', async () => {
  const key = newKey();
  expect((await post(key)).status).toBe(201);
  const kept = await db.models.IdempotencyRecord.findById(`desk:${key}`).lean();
  await sleep(2 * LEASE_MS);
  const later = await db.models.IdempotencyRecord.findById(`desk:${key}`).lean();
  expect(later!.state).toBe('done');
  expect(later!.renewedAt).toEqual(kept!.renewedAt);
});

test('a claim that really expired (nobody renewed it for longer than the lease) is taken over by the retry', async () => {
  const key = newKey();
  await crashedClaim(`desk:${key}`, 2 * LEASE_MS);
  const retry = await post(key);
  expect(retry.status).toBe(201);
  expect(retry.headers.get('idempotent-replayed')).toBeNull();
  expect(runs.get(key)).toBe(1);
  // and the answer of the run that took over is the one kept
  const again = await post(key);
  expect(again.headers.get('idempotent-replayed')).toBe('true');
  expect(again.body).toEqual(retry.body);
});

test('a claim within its lease is not taken over', async () => {
  const key = newKey();
  await crashedClaim(`desk:${key}`, LEASE_MS / 3);
  const retry = await post(key);
  expect(retry.status).toBe(409);
  expect(runs.get(key)).toBeUndefined();
});

test.each([2, 8, 20])('%i retries racing for one stale claim: exactly one runs, the others get 409 with Retry-After, none a 500', async (racers) => {
  const key = newKey();
  await crashedClaim(`desk:${key}`, 3 * LEASE_MS);
  workMs = 300;
  const answers = await Promise.all(Array.from({ length: racers }, () => post(key)));
  const statuses = answers.map((a) => a.status);
  expect(statuses.filter((s) => s === 201)).toHaveLength(1);
  expect(statuses.filter((s) => s === 409)).toHaveLength(racers - 1);
  for (const a of answers.filter((x) => x.status === 409)) expect(Number(a.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(runs.get(key)).toBe(1);
});

test('anonymous callers are scoped by address: the same key from another address is another request', async () => {
  const key = newKey();
  const a = await post(key, { 'x-forwarded-for': '198.51.100.7' }, { secret: 'of a' });
  expect(a.status).toBe(201);
  const b = await post(key, { 'x-forwarded-for': '198.51.100.8' }, { secret: 'of a' });
  expect(b.status).toBe(201);
  expect(b.headers.get('idempotent-replayed')).toBeNull();
  expect(b.body.from).toBe('198.51.100.8');
  expect(runs.get(key)).toBe(2);
  // the same address still gets its own answer back
  const again = await post(key, { 'x-forwarded-for': '198.51.100.7' }, { secret: 'of a' });
  expect(again.headers.get('idempotent-replayed')).toBe('true');
  expect(again.body).toEqual(a.body);
  // and an API key's space is apart from every address
  const keyed = await post(key, { 'x-test-caller': 'desk', 'x-forwarded-for': '198.51.100.7' }, { secret: 'of a' });
  expect(keyed.headers.get('idempotent-replayed')).toBeNull();
});
