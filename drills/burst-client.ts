/**
 * The burst of the API drill, in a process of its own so that it does not
 * share an event loop with the drill that measures the valid requests:
 * `node dist/drills/burst-client.js '<json BurstConfig>'` (or `-`: the JSON on stdin) sends malformed,
 * unauthenticated and role-bypass requests (a role's key on operations it may
 * not call, in every odd spelling of their paths) as fast as `connections`
 * keep-alive connections allow for `seconds`, then prints one JSON line: the
 * statuses per kind.
 */
import { Agent, request } from 'node:http';

export interface BurstConfig {
  baseUrl: string;
  seconds: number;
  connections: number;
  /** A known company and card user, so unauthenticated requests name things that exist. */
  companyId: string;
  xsId: string;
  /** A valid key of another client, for the malformed requests that are authenticated. */
  otherKey: string;
  /** Role-bypass attempts: requests the caller's role may not make, sent as they are (odd spellings included). */
  bypass?: { kind: string; attempts: BurstRequest[] }[];
}

export interface BurstRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface BurstKind {
  name: string;
  /** True for requests without valid credentials: they must never succeed once auth is enforced. */
  unauthenticated: boolean;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Sent in turn instead of method/path/headers/body (the role-bypass kinds). */
  variants?: BurstRequest[];
}

export interface BurstResult {
  requests: number;
  seconds: number;
  /** kind -> status (0: no answer) -> count */
  statuses: Record<string, Record<string, number>>;
  /** kind -> median answer time, ms */
  p50Ms: Record<string, number>;
  unauthenticatedKinds: string[];
}

export function burstKinds(c: BurstConfig): BurstKind[] {
  const json = { 'content-type': 'application/json' };
  const other = { ...json, authorization: `Bearer ${c.otherKey}` };
  const validUser = JSON.stringify({
    companyId: c.companyId,
    firstName: 'Burst',
    lastName: 'Intruder',
    email: 'intruder@burst.example',
    language: 'en',
    identityDocument: { kind: 'passport', number: 'BURST0001', expiresOn: '2099-01-01' },
  });
  return [
    // Without valid credentials.
    { name: 'no credentials: GET company', unauthenticated: true, method: 'GET', path: `/v1/companies/${c.companyId}`, headers: {} },
    { name: 'no credentials: POST valid card user', unauthenticated: true, method: 'POST', path: '/v1/card-users', headers: json, body: validUser },
    { name: 'wrong key: GET card user', unauthenticated: true, method: 'GET', path: `/v1/card-users/${c.xsId}`, headers: { authorization: 'Bearer not-a-key-of-this-api' } },
    { name: 'wrong key: POST decision', unauthenticated: true, method: 'POST', path: `/v1/companies/${c.companyId}/decision`, headers: { ...json, authorization: 'Bearer guessed' }, body: '{"outcome":"rejected","reason":"x","decidedBy":"x"}' },
    { name: 'malformed authorization header', unauthenticated: true, method: 'GET', path: `/v1/companies/${c.companyId}`, headers: { authorization: 'Basic Og==' } },
    { name: 'empty bearer', unauthenticated: true, method: 'GET', path: `/v1/card-users/${c.xsId}`, headers: { authorization: 'Bearer ' } },
    { name: 'oversized bearer (8 KiB)', unauthenticated: true, method: 'GET', path: `/v1/companies/${c.companyId}`, headers: { authorization: `Bearer ${'x'.repeat(8192)}` } },
    // Malformed, from an authenticated client.
    { name: 'malformed JSON', unauthenticated: false, method: 'POST', path: '/v1/card-users', headers: other, body: '{"companyId": "co_' },
    { name: 'schema violation', unauthenticated: false, method: 'POST', path: '/v1/companies', headers: other, body: '{"companyName": 42, "kvkNumber": "abc"}' },
    { name: 'oversized body (200 KiB)', unauthenticated: false, method: 'POST', path: '/v1/card-users', headers: other, body: JSON.stringify({ padding: 'x'.repeat(200 * 1024) }) },
    { name: 'wrong content type', unauthenticated: false, method: 'POST', path: '/v1/card-applications', headers: { ...other, 'content-type': 'text/plain' }, body: 'apply for a card please' },
    { name: 'malformed path parameter', unauthenticated: false, method: 'GET', path: '/v1/card-applications/%E0%A4%A', headers: other },
    { name: 'unknown route', unauthenticated: false, method: 'DELETE', path: '/v1/everything', headers: other },
    { name: 'long query string', unauthenticated: false, method: 'GET', path: `/v1/planning/card-delivery?${'a=b&'.repeat(1000)}method=nope`, headers: other },
    // Role bypass: each must be refused (the drill counts the handlers they reach from the API's metrics: must be 0).
    ...(c.bypass ?? []).map(({ kind, attempts }) => ({ name: kind, unauthenticated: true, method: 'GET', path: '/', headers: {}, variants: attempts })),
  ];
}

export async function burst(c: BurstConfig): Promise<BurstResult> {
  const kinds = burstKinds(c);
  const agent = new Agent({ keepAlive: true, maxSockets: c.connections });
  const statuses: Record<string, Record<string, number>> = {};
  const url = new URL(c.baseUrl);
  const until = Date.now() + c.seconds * 1000;
  const times: Record<string, number[]> = {};
  let requests = 0;
  let next = 0;
  const turn = new Map<string, number>();
  const one = (kind: BurstKind) =>
    new Promise<number>((resolve) => {
      const n = turn.get(kind.name) ?? 0;
      turn.set(kind.name, n + 1);
      const k = kind.variants?.length ? kind.variants[n % kind.variants.length]! : kind;
      // A body always with its length: a DELETE's body without one would be read as the next request.
      const headers = k.body === undefined ? k.headers : { ...k.headers, 'content-length': String(Buffer.byteLength(k.body)) };
      const req = request(
        { host: url.hostname, port: url.port, method: k.method, path: k.path, headers, agent, timeout: 10_000 },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', () => resolve(0));
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(0));
      req.end(k.body);
    });
  const lane = async () => {
    while (Date.now() < until) {
      const k = kinds[next++ % kinds.length]!;
      const t = performance.now();
      const status = await one(k);
      (times[k.name] ??= []).push(performance.now() - t);
      requests += 1;
      const byStatus = (statuses[k.name] ??= {});
      byStatus[status] = (byStatus[status] ?? 0) + 1;
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: c.connections }, lane));
  agent.destroy();
  const p50Ms = Object.fromEntries(
    Object.entries(times).map(([k, v]) => [k, Math.round(v.sort((a, b) => a - b)[Math.floor(v.length / 2)]! * 10) / 10]),
  );
  return { requests, seconds: (Date.now() - started) / 1000, statuses, p50Ms, unauthenticatedKinds: kinds.filter((k) => k.unauthenticated).map((k) => k.name) };
}

async function readConfig(arg: string): Promise<BurstConfig> {
  if (arg !== '-') return JSON.parse(arg) as BurstConfig;
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return JSON.parse(text) as BurstConfig;
}

if (require.main === module) {
  readConfig(process.argv[2]!).then(burst).then(
    (r) => console.log(JSON.stringify(r)),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
