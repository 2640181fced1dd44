/**
 * Drill 4: the API under a burst of malformed and unauthenticated requests
 * (from another process, drills/burst-client.ts) keeps serving valid ones.
 * Valid requests arrive at a steady rate (open loop, so a slow API cannot
 * slow them down) before, during and after the burst; the drill compares
 * their success rate and latency.
 *
 * The API is configured for its coming authentication: `API_KEYS`
 * (name:role:secret) and `API_RATE_LIMIT_PER_MINUTE` per client key; valid
 * requests carry `Authorization: Bearer <secret>`, the burst's authenticated
 * requests another client's key. Whether the API enforces authentication is
 * read from its answer to a request without credentials (401): from then on,
 * an unauthenticated request that succeeds (2xx) fails the drill.
 *
 * Role bypass: the burst also sends, for every operation of /openapi.json, the
 * requests a role may not make (the customer-service and system keys, and no
 * key) in every odd spelling of the path (drills/path-spellings.ts). The API
 * counts handler entries by operation and role (xs_api_handler_entries_total
 * at /metrics); a single entry for a pair the access policy refuses fails the
 * drill.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Role } from '../config/api-keys';
import { listOperations, type Operation } from '../api/operations';
import { isPublic, mayCall } from '../api/security/access-policy';
import type { BurstConfig, BurstRequest, BurstResult } from './burst-client';
import { concrete, spellings } from './path-spellings';
import { DatasetCheck } from './dataset-check';
import { bearer, call, DRILL_KEYS, DrillStack, percentile, ROOT, say, sleep, type Answer, type DrillResult } from './stack';
import { calendar } from './workload';

export interface ApiBurstOptions {
  /** Length of each phase (before, during, after the burst). */
  seconds: number;
  burstConnections: number;
  /** Valid requests per second. */
  validRate?: number;
  /** `API_RATE_LIMIT_PER_MINUTE`; default twice the valid requests' rate. */
  rateLimitPerMinute?: number;
  /** The drill fails below this success rate of valid requests during the burst. */
  minSuccessRate?: number;
  /** ... or, when given, when their p95 latency during the burst exceeds this (default: measured and reported only). */
  maxP95Ms?: number;
  keep?: boolean;
}

interface Phase {
  name: string;
  requests: number;
  ok: number;
  successRate: number;
  statuses: Record<string, number>;
  ms: { p50: number; p95: number; p99: number; max: number };
  /** p95 per kind of valid request, ms. */
  p95ByKind: Record<string, number>;
}

const round = (n: number) => Math.round(n * 10) / 10;

type Who = Role | 'none';
const allowed = (who: Who, op: Operation) => isPublic(op) || (who !== 'none' && mayCall(who, op));

/**
 * Every request a role (or no key) may not make, HEAD for GET too: one kind per
 * caller and spelling (canonical, odd), each shuffled so that a short burst
 * still covers many operations.
 */
function bypassAttempts(operations: Operation[], values: Record<string, string>): NonNullable<BurstConfig['bypass']> {
  const callers: [Who, Record<string, string>][] = [
    ['customer-service', { authorization: bearer(DRILL_KEYS.customerService) }],
    ['system', { authorization: bearer(DRILL_KEYS.system) }],
    ['none', {}],
  ];
  const shuffle = <T>(list: T[]) => list.map((x) => [Math.random(), x] as const).sort((a, b) => a[0] - b[0]).map(([, x]) => x);
  return callers.flatMap(([who, headers]) => {
    const canonical: BurstRequest[] = [];
    const odd: BurstRequest[] = [];
    for (const op of operations) {
      if (allowed(who, op)) continue;
      const body = op.method === 'get' ? undefined : '{}';
      const json = body === undefined ? headers : { ...headers, 'content-type': 'application/json' };
      for (const method of op.method === 'get' ? ['GET', 'HEAD'] : [op.method.toUpperCase()]) {
        canonical.push({ method, path: concrete(op.path, values), headers: json, ...(body === undefined ? {} : { body }) });
        for (const path of spellings(op.path, values)) odd.push({ method, path, headers: json, ...(body === undefined ? {} : { body }) });
      }
    }
    const name = who === 'none' ? 'no key' : `${who} key`;
    return [
      { kind: `bypass: ${name}, canonical path`, attempts: shuffle(canonical) },
      { kind: `bypass: ${name}, odd spelling`, attempts: shuffle(odd) },
    ];
  });
}

/** Handler entries by operation and role, from the API's /metrics. */
async function handlerEntries(apiUrl: string): Promise<{ operation: string; role: string; count: number }[]> {
  const res = await call(apiUrl, 'GET', '/metrics');
  if (res.status !== 200 || typeof res.body !== 'string') throw new Error(`could not read the API's metrics: ${res.status}`);
  return [...res.body.matchAll(/^xs_api_handler_entries_total\{operation="([^"]+)",role="([^"]+)"\} (\d+)/gm)].map((m) => ({
    operation: m[1]!,
    role: m[2]!,
    count: Number(m[3]),
  }));
}

export async function apiBurstDrill(o: ApiBurstOptions): Promise<DrillResult> {
  const validRate = o.validRate ?? 50;
  const rateLimit = o.rateLimitPerMinute ?? validRate * 60 * 2;
  say(`drill api-burst: ${o.seconds}s phases; valid requests at ${validRate}/s; burst on ${o.burstConnections} connections; API_RATE_LIMIT_PER_MINUTE=${rateLimit}`);
  const stack = new DrillStack({ name: 'api-burst', keep: o.keep, apiRateLimitPerMinute: rateLimit });
  const problems: string[] = [];
  let passed = false;
  try {
    await stack.start();
    const api = (method: string, path: string, body?: unknown) => call(stack.apiUrl, method, path, body);

    // What the valid requests read and write.
    const company = await api('POST', '/v1/companies', {
      companyName: 'Burst Drill B.V.',
      kvkNumber: String(10_000_000 + Math.floor(Math.random() * 89_999_999)),
      vatId: `NL${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}B01`,
      kvkExtract: { documentRef: 'kvk-burst', issuedOn: calendar.dayOf(new Date()) },
      signatory: { name: 'Burst Signatory', email: 'signatory@burst-drill.example', listedInKvkExtract: true },
      contact: { name: 'Burst Contact', email: 'contact@burst-drill.example', language: 'en' },
    });
    if (company.status !== 201) throw new Error(`could not register the drill's company: ${company.status} ${JSON.stringify(company.body)}`);
    const companyId = company.body.companyId as string;
    // On a data set the decision may wait behind its waking cases (202 pending): asked again with the same key
    // until it is answered, or the company reads approved (a 409 for the decision taken by an earlier ask).
    let decided = await approve(stack, companyId);
    const approved = async () => (await api('GET', `/v1/companies/${companyId}`)).body?.contract?.status === 'approved';
    for (const deadline = Date.now() + stack.datasetSettleMs; stack.dataset && decided.status !== 200 && Date.now() < deadline; ) {
      if (decided.status === 409 && (await approved())) break;
      await sleep(2000);
      decided = await approve(stack, companyId);
    }
    if (decided.status !== 200 && !(decided.status === 409 && (await approved()))) throw new Error(`could not approve the drill's company: ${decided.status} ${JSON.stringify(decided.body)}`);
    let users = 0;
    const userBody = () => ({
      companyId,
      firstName: 'Valid',
      lastName: `User ${users++}`,
      email: `valid.${users}@burst-drill.example`,
      language: 'en',
      identityDocument: { kind: 'id-card', number: `VB${String(users).padStart(7, '0')}`, expiresOn: calendar.addDays(calendar.dayOf(new Date()), 3650) },
    });
    const first = await api('POST', '/v1/card-users', userBody());
    if (first.status !== 201) throw new Error(`could not register the drill's card user: ${first.status} ${JSON.stringify(first.body)}`);
    const xsId = first.body.xsId as string;

    // Is authentication enforced? A request without credentials answers 401 then.
    const probe = await call(stack.apiUrl, 'GET', `/v1/companies/${companyId}`, undefined, {});
    const authEnforced = probe.status === 401;
    say(`authentication: ${authEnforced ? 'enforced (401 without credentials)' : `not enforced yet (${probe.status} without credentials)`}`);

    // The valid requests: reads of the database, a planning answer, and a write.
    const valid: [string, () => Promise<Answer>][] = [
      ['GET company', () => api('GET', `/v1/companies/${companyId}`)],
      ['GET card user', () => api('GET', `/v1/card-users/${xsId}`)],
      ['GET planning', () => api('GET', `/v1/planning/card-delivery?approvedAt=${encodeURIComponent(new Date().toISOString())}&method=urgent-pickup`)],
      ['POST card user', () => api('POST', '/v1/card-users', userBody())],
    ];
    const phase = async (name: string, seconds: number): Promise<Phase> => {
      const answers: (Answer & { kind: string })[] = [];
      const pending: Promise<void>[] = [];
      const interval = 1000 / validRate;
      const start = performance.now();
      for (let i = 0; performance.now() - start < seconds * 1000; i++) {
        const [kind, send] = valid[i % valid.length]!;
        pending.push(send().then((a) => void answers.push({ ...a, kind })));
        const wait = start + (i + 1) * interval - performance.now();
        if (wait > 0) await sleep(wait);
      }
      await Promise.all(pending);
      const ok = answers.filter((a) => a.status >= 200 && a.status < 300);
      const statuses: Record<string, number> = {};
      for (const a of answers) statuses[a.status] = (statuses[a.status] ?? 0) + 1;
      const ms = answers.map((a) => a.ms);
      return {
        name,
        requests: answers.length,
        ok: ok.length,
        successRate: answers.length ? Math.round((ok.length / answers.length) * 10000) / 10000 : 0,
        statuses,
        ms: { p50: round(percentile(ms, 50)), p95: round(percentile(ms, 95)), p99: round(percentile(ms, 99)), max: round(Math.max(...ms)) },
        p95ByKind: Object.fromEntries(valid.map(([kind]) => [kind, round(percentile(answers.filter((a) => a.kind === kind).map((a) => a.ms), 95))])),
      };
    };

    await phase('warm-up', 2);
    const before = await phase('before', o.seconds);
    say(`before the burst: ${before.ok}/${before.requests} valid requests served, p50 ${before.ms.p50} ms, p95 ${before.ms.p95} ms`);

    const operations = listOperations((await api('GET', '/openapi.json')).body.paths);
    const bypass = bypassAttempts(operations, { companyId, xsId });
    say(`role bypass: ${bypass.map((b) => `${b.attempts.length} ${b.kind}`).join(', ')} (cycled through during the burst)`);
    const config: BurstConfig = {
      baseUrl: stack.apiUrl,
      seconds: o.seconds,
      connections: o.burstConnections,
      companyId,
      xsId,
      otherKey: bearer(DRILL_KEYS.otherBackoffice).slice(7),
      bypass,
    };
    const burstDone = runBurst(config);
    await sleep(300); // the burst is under way
    const during = await phase('during', o.seconds - 0.5);
    const burst = await burstDone;
    say(`during the burst: ${during.ok}/${during.requests} valid requests served, p50 ${during.ms.p50} ms, p95 ${during.ms.p95} ms; burst ${burst.requests} requests (${Math.round(burst.requests / burst.seconds)}/s)`);
    const after = await phase('after', Math.min(5, o.seconds));

    // Checks.
    const minSuccess = o.minSuccessRate ?? 0.99;
    const maxP95 = o.maxP95Ms ?? Infinity;
    if (before.successRate < 1) problems.push(`valid requests failed even before the burst: ${JSON.stringify(before.statuses)}`);
    if (during.successRate < minSuccess) problems.push(`during the burst only ${(during.successRate * 100).toFixed(2)}% of valid requests were served (${JSON.stringify(during.statuses)}); required ${minSuccess * 100}%`);
    if (during.ms.p95 > maxP95) problems.push(`during the burst the p95 latency of valid requests was ${during.ms.p95} ms (limit ${maxP95} ms; before: ${before.ms.p95} ms)`);
    if (after.successRate < 1) problems.push(`after the burst valid requests still failed: ${JSON.stringify(after.statuses)}`);
    const unauthenticatedServed: Record<string, number> = {};
    for (const kind of burst.unauthenticatedKinds) {
      const n = Object.entries(burst.statuses[kind] ?? {}).filter(([s]) => Number(s) >= 200 && Number(s) < 300).reduce((sum, [, c]) => sum + c, 0);
      if (n) unauthenticatedServed[kind] = n;
    }
    const unauth2xx = Object.values(unauthenticatedServed).reduce((a, b) => a + b, 0);
    if (authEnforced && unauth2xx) problems.push(`authentication is enforced, yet ${unauth2xx} unauthenticated request(s) succeeded: ${JSON.stringify(unauthenticatedServed)}`);
    // Which handlers did a role reach that it may not call? Read from the API itself: must be none.
    const entries = await handlerEntries(stack.apiUrl);
    const byId = new Map(operations.map((op) => [op.operationId, op]));
    const bypassed = entries.filter((e) => !byId.has(e.operation) || !allowed(e.role as Who, byId.get(e.operation)!));
    const bypassReachedHandler = bypassed.reduce((sum, e) => sum + e.count, 0);
    if (!entries.some((e) => e.role === 'backoffice' && e.count > 0)) problems.push('the API counts no handler entries (xs_api_handler_entries_total): role bypass cannot be observed');
    if (bypassReachedHandler) problems.push(`${bypassReachedHandler} request(s) reached a handler their role may not call: ${JSON.stringify(bypassed)}`);
    const bypassSent = bypass.reduce((sum, b) => sum + Object.values(burst.statuses[b.kind] ?? {}).reduce((a, n) => a + n, 0), 0);
    if (bypassSent === 0) problems.push('no role-bypass attempt was sent');
    say(`role bypass: ${bypassSent} attempts sent, ${bypassReachedHandler} reached a handler (must be 0)`);
    const burst5xx = Object.values(burst.statuses).flatMap((s) => Object.entries(s)).filter(([s]) => Number(s) >= 500).reduce((sum, [, c]) => sum + c, 0);
    if (stack.unexpectedExits.length) problems.push(`the API or the worker exited on its own: ${stack.unexpectedExits.join('; ')}`);
    // On a data set: its cases woke under the burst; none may fail or mail what it should not.
    const dataset = DatasetCheck.of(stack);
    await dataset?.settle();
    const datasetReport = await dataset?.verify();
    problems.push(...(datasetReport?.problems ?? []));

    passed = problems.length === 0;
    return {
      drill: 'api-burst',
      passed,
      figures: {
        authEnforced,
        unauthenticatedProbeStatus: probe.status,
        validRatePerSecond: validRate,
        rateLimitPerMinute: rateLimit,
        before,
        during,
        after,
        p95DuringOverBefore: round(during.ms.p95 / Math.max(0.1, before.ms.p95)),
        burst: { requests: burst.requests, perSecond: Math.round(burst.requests / burst.seconds), connections: o.burstConnections, statuses: burst.statuses, p50Ms: burst.p50Ms },
        unauthenticatedServed: unauth2xx,
        bypassAttemptsSent: bypassSent,
        bypassReachedHandler,
        bypassReachedHandlerNote: 'handler entries (xs_api_handler_entries_total) for an operation and role the access policy refuses: must be 0',
        unauthenticatedServedNote: authEnforced ? 'must be 0' : 'authentication not enforced yet: these were served as any request',
        burst5xx,
        ...(datasetReport ? { dataset: datasetReport.figures } : {}),
      },
      problems,
    };
  } finally {
    await stack.stop(o.keep || !passed);
  }
}

const BURST_CLIENT = join(ROOT, 'dist', 'drills', 'burst-client.js');

function runBurst(config: BurstConfig): Promise<BurstResult> {
  return new Promise((resolve, reject) => {
    // The configuration on stdin: with the bypass attempts it is too long for an argument.
    const child = spawn(process.execPath, [BURST_CLIENT, '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end(JSON.stringify(config));
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').pop()!) as BurstResult);
      else reject(new Error(`the burst client exited with ${code}: ${err}`));
    });
  });
}

/** The drill's company approved (one Idempotency-Key, so asking again waits for the same decision). */
function approve(stack: DrillStack, companyId: string): Promise<Answer> {
  const headers = { authorization: bearer(DRILL_KEYS.backoffice), 'idempotency-key': `burst-approve-${companyId}` };
  return call(stack.apiUrl, 'POST', `/v1/companies/${companyId}/decision`, { outcome: 'approved', decidedBy: 'drill-bo' }, headers, 60_000);
}
