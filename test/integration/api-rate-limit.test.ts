/**
 * Cluster-wide rate limits (api/security/rate-limit.ts): API replicas share
 * their counts through the database, on the real FerretDB.
 *
 * - two apps (two createApp on two ports, as two replicas) on one database
 *   let a client through `limit` times in total, not twice that, in a
 *   concurrent burst as in a sequence;
 * - anonymous callers: one bucket per client address when a proxy is trusted
 *   (X-Forwarded-For), and the header ignored when none is;
 * - the store down (a FerretDB of this file's own, stopped): requests are
 *   still served, fast, and limited per process in memory; once the store is
 *   back the shared count resumes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import { LOCAL_API_KEYS } from '../../config/api-keys';
import { connectDatabase, type Database } from '../../db/connection';
import { RateLimiter } from '../../api/security/rate-limit';
import { createLogger } from '../../observability/logger';
import { freePort, type ManagedProcess } from '../../stack/processes';
import { startFerretDb } from '../../stack/services';
import { startApp, type AppServer } from '../support/api-harness';
import { devServerClient, testDatabase } from '../support/servers';

const NONE = { authorization: '' };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Windows are fixed minutes: a burst that straddles two would see two limits. */
async function awayFromWindowEdge(): Promise<void> {
  const into = Date.now() % 60_000;
  if (into > 50_000) await sleep(60_000 - into + 50);
}

let temporal: { client: Client; connection: Connection };
const opened: { close(): Promise<void> }[] = [];
async function database(): Promise<Database> {
  const db = await testDatabase();
  opened.push({ close: async () => (await db.connection.dropDatabase(), await db.close()) });
  return db;
}
async function app(db: Database, options: { rateLimitPerMinute: number; trustedProxies?: number }): Promise<AppServer> {
  const server = await startApp({ db, client: temporal.client, taskQueue: 'unused', ...options });
  opened.unshift(server); // servers close before their databases
  return server;
}

beforeAll(async () => {
  temporal = await devServerClient();
});
afterAll(async () => {
  for (const o of opened) await o.close();
  await temporal?.connection.close();
});

/** A cheap operation behind the guard; anything but 429 means the limiter let the request through. */
const check = (server: AppServer, headers: Record<string, string> = bearer(LOCAL_API_KEYS.backoffice)) =>
  server.api('POST', '/v1/accounts/password-check', { password: 'x' }, headers);

describe('two replicas sharing one database', () => {
  let a: AppServer;
  let b: AppServer;
  beforeAll(async () => {
    const db = await database();
    [a, b] = [await app(db, { rateLimitPerMinute: 10 }), await app(db, { rateLimitPerMinute: 10 })];
  });

  test('a concurrent burst through both lets the key through the limit in total, not twice the limit', async () => {
    await awayFromWindowEdge();
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => check(i % 2 ? a : b, bearer(LOCAL_API_KEYS.system))));
    expect(answers.filter((r) => r.status !== 429)).toHaveLength(10);
    for (const r of answers.filter((x) => x.status === 429)) {
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(r.headers.get('ratelimit-limit')).toBe('10');
      expect(r.headers.get('ratelimit-remaining')).toBe('0');
    }
  });

  test('one request after the other, alternating replicas: the limit in total', async () => {
    await awayFromWindowEdge();
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++) statuses.push((await check(i % 2 ? a : b, bearer(LOCAL_API_KEYS['customer-service']))).status);
    expect(statuses.filter((s) => s !== 429)).toHaveLength(10);
    expect(statuses.slice(10)).toEqual([429, 429, 429, 429]);
  });
});

describe('anonymous callers and the trusted-proxy setting', () => {
  test('behind a trusted proxy each client address has its own bucket', async () => {
    const server = await app(await database(), { rateLimitPerMinute: 3, trustedProxies: 1 });
    await awayFromWindowEdge();
    const from = (address: string) => check(server, { ...NONE, 'x-forwarded-for': address });
    const first: number[] = [];
    for (let i = 0; i < 4; i++) first.push((await from('203.0.113.1')).status);
    expect(first).toEqual([401, 401, 401, 429]);
    expect((await from('203.0.113.2')).status).toBe(401);
    // the address is the one the trusted proxy saw: what the client put before it does not count
    expect((await from('198.51.100.9, 203.0.113.1')).status).toBe(429);
  });

  test('with no trusted proxy X-Forwarded-For is ignored: one bucket for the connection address', async () => {
    const server = await app(await database(), { rateLimitPerMinute: 3, trustedProxies: 0 });
    await awayFromWindowEdge();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await check(server, { ...NONE, 'x-forwarded-for': `203.0.113.${10 + i}` })).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });
});

describe('the store down', () => {
  let ferret: ManagedProcess;
  let port: number;
  let dataDir: string;
  let db: Database;
  const warnings: string[] = [];
  const logger = createLogger('info', { service: 'api' }, (line) => warnings.push(line));
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'xs-rate-store-'));
    port = await freePort();
    ferret = await startFerretDb({ port, dataDir, logFile: join(dataDir, 'ferretdb.log') });
    db = await connectDatabase(`mongodb://127.0.0.1:${port}/rates`);
  });
  afterAll(async () => {
    await db?.close();
    await ferret?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('requests are still served, fast, limited per process in memory, the outage logged; the shared count resumes once it is back', async () => {
    const limiter = new RateLimiter({ perMinute: 3, slots: db.models.RateLimitSlot, logger, storeTimeoutMs: 300, retryStoreAfterMs: 1000 });
    await awayFromWindowEdge();
    expect((await limiter.take('key:a')).allowed).toBe(true);
    expect(await db.models.RateLimitSlot.countDocuments()).toBe(1); // counted in the store

    await ferret.stop();
    const started = Date.now();
    const decisions = [];
    for (let i = 0; i < 5; i++) decisions.push(await limiter.take('key:b'));
    expect(Date.now() - started).toBeLessThan(2_000); // one store timeout at most, not one per request
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false, false]);
    expect(decisions[3]!.resetSeconds).toBeGreaterThanOrEqual(1);
    expect(warnings.filter((l) => /rate-limit store unreachable/.test(l))).toHaveLength(1);

    // the app on the same store: served (401 for no key), limited, never a 500
    const server = await startApp({ db, client: temporal.client, taskQueue: 'unused', rateLimitPerMinute: 3, logger });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await check(server, NONE)).status);
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
    } finally {
      await server.close();
    }

    ferret = await startFerretDb({ port, dataDir, logFile: join(dataDir, 'ferretdb.log') });
    await sleep(1_100); // the limiter leaves the store alone for retryStoreAfterMs after a failure
    let back = false;
    for (let i = 0; i < 50 && !back; i++) {
      await limiter.take(`key:c${i}`);
      back = (await db.models.RateLimitSlot.countDocuments().catch(() => 0)) > 1;
      if (!back) await sleep(200);
    }
    expect(back).toBe(true);
    expect(warnings.some((l) => /rate-limit store reachable again/.test(l))).toBe(true);
  });
});
