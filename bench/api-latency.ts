/**
 * 2. API trigger latency: p50 and p99 of the endpoints that start workflows,
 * under a fixed request rate (autocannon), against /healthz at the same rate
 * and at the same time, while the worker is busy.
 *
 * What is measured: the API runs as its own process (dist/api/main.js,
 * started with stack/services.ts startNodeService) with API_KEYS set to one
 * back-office key of 32 random characters, sent as `Authorization: Bearer`, and
 * API_RATE_LIMIT_PER_MINUTE set far above the rate. For each start endpoint
 * (POST /v1/companies starts the contract approval, POST /v1/card-applications
 * the card application), two autocannon runs go at once for `duration`
 * seconds: the endpoint at `rate` requests/s with a new body each time (a new
 * company; an application for a registered card user of an approved company),
 * and GET /healthz at the same rate. Meanwhile the worker is kept busy: a
 * closed loop keeps `inFlight`/10 bare workflows (one no-op activity) going on
 * the same worker, on top of the workflows the requests start.
 */
import { join } from 'node:path';
import autocannon from 'autocannon';
import type { BenchContext, BenchResult } from './context';
import { cardUserDocs, companyDocs, insertAll, insertCompanies, registrationBody, tag } from './fixtures';
import { cpuMeter, now, ratio, round, table } from './measure';
import { freePort, httpOk } from '../stack/processes';
import { startNodeService } from '../stack/services';
import { randomSecret } from './stack';
import { applySchedules } from '../schedules/apply';
import { ROLES, type Role } from '../config/api-keys';
import type { Database } from '../db/connection';
import { DEFAULT_RULES } from '../domain/rules';
import { requestContext } from '../observability/request-context';
import { updateIdFor } from '../api/services/updates';
import { seededRandom } from '../seed/random';
import { approveByCardUserUpdate, cardApplicationWorkflowId, cardInUseWorkflowId, contractWorkflowId, licenceWatchWorkflowId } from '../workflows/definitions';
import { PORTAL_ACCEPTANCE, planRequests, type ApiFixture } from './api-requests';
import { sampleIds, untilDatasetAsleep } from './data';

interface Latency {
  requests: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

const busyLanes = (inFlight: number): number => Math.max(1, Math.floor(inFlight / 10));

function summarize(r: autocannon.Result): Latency {
  return {
    requests: r.requests.total,
    ok2xx: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    rps: round(r.requests.average, 1),
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    max: r.latency.max,
    mean: round(r.latency.mean, 2),
  };
}

function cannon(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

export async function runApiLatency(ctx: BenchContext): Promise<BenchResult> {
  if (ctx.stack.data) return runApiOnData(ctx);
  const { stack, sizes, log } = ctx;
  const startedAt = new Date();
  const variant = ctx.variants[0]!;
  const run = tag();
  const database = `api_${run}`;
  const db = await stack.database(database);
  const worker = await stack.startWorker(variant, `api-${run}`, database);
  const secret = randomSecret(32);
  const auth = { authorization: `Bearer ${secret}`, 'content-type': 'application/json' };
  const apiPort = await freePort();
  const base = `http://127.0.0.1:${apiPort}`;
  const notes: string[] = [];
  let busy = true;
  let busyDone = 0;
  let busyLoop: Promise<void> = Promise.resolve();
  try {
    // Card users of approved companies, one per application request (and some to spare).
    const perEndpoint = Math.ceil(sizes.rate * sizes.duration * 1.2) + 20;
    const companies = companyDocs(run, Math.ceil(perEndpoint / 10), { contract: () => 'approved' });
    await insertCompanies(db.models, companies);
    const users = cardUserDocs(run, companies, 10);
    await insertAll(db.models.CardUser as never, users);

    log('api: starting the API process (API_KEYS with one back-office key, rate limit far above the load)');
    const api = await startNodeService({
      name: 'api',
      script: 'api/main.js',
      env: {
        NODE_ENV: 'development',
        TEMPORAL_ADDRESS: stack.temporalAddress,
        TEMPORAL_TASK_QUEUE: worker.taskQueue,
        MONGODB_URI: `${stack.mongoUrl}/${database}`,
        // The worker's key: what the API starts, the worker must be able to read.
        PAYLOAD_KEYS: stack.payloadKeys,
        SMTP_URL: stack.smtp.url,
        API_HOST: '127.0.0.1',
        API_PORT: String(apiPort),
        PUBLIC_BASE_URL: base,
        API_KEYS: `bench:backoffice:${secret}`,
        API_RATE_LIMIT_PER_MINUTE: String(1_000_000),
        WORKER_METRICS_ADDRESS: 'off',
      },
      logFile: join(stack.dir, `api-${run}.log`),
      echo: false,
      ready: () => httpOk(`${base}/healthz`),
    });
    try {
      let kvk = 10_000_000 + Math.floor(Math.random() * 80_000_000);
      const issuedOn = new Date(Date.now() - 10 * 86_400_000).toISOString().slice(0, 10);
      const companyBody = () => registrationBody(kvk++, issuedOn);
      let u = 0;
      const applicationBody = () => {
        const user = users[u++ % users.length]!;
        return { companyId: user.companyId, xsId: user._id, cardType: 'PortKey', deliveryMethod: 'post', destination: 'NL' };
      };
      const endpoints = [
        { name: 'POST /v1/companies', path: '/v1/companies', body: companyBody },
        { name: 'POST /v1/card-applications', path: '/v1/card-applications', body: applicationBody },
      ];

      // Pre-checks: the key works, the bodies are valid, and whether the API already demands the key.
      const unauthenticated = await fetch(`${base}/v1/companies`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(companyBody()) });
      const authEnforced = unauthenticated.status === 401;
      await unauthenticated.body?.cancel();
      notes.push(
        authEnforced
          ? 'the API refused a start request without the key (401): every measured request carried and passed the Bearer key check'
          : `the API answered ${unauthenticated.status} to a request without a key: authentication was not enforced by this build`,
      );
      for (const e of endpoints) {
        const res = await fetch(base + e.path, { method: 'POST', headers: auth, body: JSON.stringify(e.body()) });
        const text = await res.text();
        if (res.status !== 201) throw new Error(`${e.name} answered ${res.status} in the pre-check: ${text.slice(0, 500)}`);
      }

      // The worker is kept busy with a closed loop of bare workflows: always some in flight, but few
      // enough that the start requests do not queue behind a saturated server (50 did, on 2 cores).
      const busyInFlight = busyLanes(sizes.inFlight);
      busyLoop = Promise.all(
        Array.from({ length: busyInFlight }, async (_, lane) => {
          let i = 0;
          while (busy) {
            const h = await stack.client.workflow.start('benchBare', { taskQueue: worker.taskQueue, workflowId: `busy-${run}-${lane}-${i++}`, args: [] });
            await h.result();
            busyDone++;
          }
        }),
      ).then(() => undefined);

      // Warm-up (JIT, connection pools, first inserts) at the same rate, not measured.
      const warmupS = Math.min(5, sizes.duration);
      log(`api: warm-up, ${warmupS} s per endpoint`);
      for (const e of endpoints) {
        await cannon({
          connections: 10,
          overallRate: sizes.rate,
          duration: warmupS,
          url: base,
          requests: [{ method: 'POST', path: e.path, headers: auth, setupRequest: (req: autocannon.Request) => ({ ...req, body: JSON.stringify(e.body()) }) }],
        });
      }

      const results: Array<Record<string, unknown>> = [];
      const rows: Array<Record<string, string | number>> = [];
      const ratios: Record<string, number> = {};
      for (const e of endpoints) {
        log(`api: ${e.name} and GET /healthz, ${sizes.rate} requests/s each for ${sizes.duration} s, worker busy`);
        const cpu = cpuMeter({ worker: worker.pid, api: api.child.pid!, ...stack.serverPids });
        const busyBefore = busyDone;
        const t0 = now();
        // Enough connections to hold the rate even when answers take seconds (each connection waits for its answer).
        const common = { connections: Math.max(10, 2 * sizes.rate), overallRate: sizes.rate, duration: sizes.duration, timeout: 30 };
        const [start, health] = await Promise.all([
          cannon({
            ...common,
            url: base,
            requests: [{ method: 'POST', path: e.path, headers: auth, setupRequest: (req: autocannon.Request) => ({ ...req, body: JSON.stringify(e.body()) }) }],
          }),
          cannon({ ...common, url: `${base}/healthz`, headers: { authorization: `Bearer ${secret}` } }),
        ]);
        const busyRate = round((busyDone - busyBefore) / ((now() - t0) / 1000), 1);
        const s = summarize(start);
        const h = summarize(health);
        if (s.non2xx || s.errors || s.timeouts) notes.push(`${e.name}: ${s.non2xx} non-2xx answers, ${s.errors} errors, ${s.timeouts} timeouts of ${s.requests}`);
        const r = { endpoint: e.name, start: s, healthz: h, p50Ratio: ratio(s.p50, h.p50), p99Ratio: ratio(s.p99, h.p99), busyBareWorkflowsPerSecond: busyRate, cpuSeconds: cpu.read() };
        results.push(r);
        ratios[`${e.name} p50 / healthz p50`] = r.p50Ratio;
        ratios[`${e.name} p99 / healthz p99`] = r.p99Ratio;
        for (const [name, l] of [[e.name, s], ['GET /healthz (same time)', h]] as const) {
          rows.push({ endpoint: name, requests: l.requests, '2xx': l.ok2xx, 'req/s': l.rps, 'p50 ms': l.p50, 'p90 ms': l.p90, 'p99 ms': l.p99, 'max ms': l.max });
        }
        rows.push({ endpoint: `  ratio ${e.name} / healthz`, 'p50 ms': `x${r.p50Ratio}`, 'p99 ms': `x${r.p99Ratio}`, requests: '', '2xx': '', 'req/s': '', 'p90 ms': '', 'max ms': `busy: ${busyRate} bare wf/s` });
      }
      return {
        benchmark: 'api',
        title: 'API trigger latency',
        measured: [
          'the API as its own process (dist/api/main.js) with API_KEYS=bench:backoffice:<32 random characters>, every request with Authorization: Bearer, API_RATE_LIMIT_PER_MINUTE=1000000;',
          `per start endpoint, after a warm-up, autocannon at a fixed ${sizes.rate} requests/s (${Math.max(10, 2 * sizes.rate)} connections, ${sizes.duration} s), new body per request, and GET /healthz at the same rate at the same time (the baseline);`,
          `the worker busy meanwhile: ${busyLanes(sizes.inFlight)} bare workflows kept in flight (a closed loop), plus the contract approvals and card applications the requests start;`,
          'latency as autocannon measures it (request sent to response received), in milliseconds.',
        ],
        sizes: { rate: sizes.rate, duration: sizes.duration },
        startedAt: startedAt.toISOString(),
        durationS: round((Date.now() - startedAt.getTime()) / 1000, 1),
        ratios,
        results: [{ variant: variant.name, authEnforced, endpoints: results }],
        tunings: [],
        notes,
        tables: [table(`API trigger latency at ${sizes.rate} requests/s per endpoint, /healthz at the same rate at the same time, worker busy`, rows)],
      };
    } finally {
      busy = false;
      await busyLoop.catch(() => undefined);
      await api.stop();
    }
  } finally {
    await worker.stop();
    await db.connection.dropDatabase().catch(() => undefined);
    await db.close();
  }
}

// ---- On a data set: every read and start endpoint (bench/api-requests.ts) ------------------------

/** Statuses autocannon saw, e.g. { 200: 398, 404: 2 }. */
function statuses(r: autocannon.Result): Record<string, number> {
  const stats = (r as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {};
  return Object.fromEntries(Object.entries(stats).map(([code, s]) => [code, s.count]));
}

const previousMonth = () => {
  const d = new Date();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
};

/**
 * Builds what the requests are about: random existing records of the data set (seeded), and, made
 * before the clock runs, what a start needs fresh each time (new companies with a licence for
 * watches, new card users for applications), a few terminals, the Schedules, and Updates with an
 * outcome (card-user approvals of open applications).
 */
async function dataFixture(ctx: BenchContext, db: Database, call: (method: string, path: string, role: Role, body?: object, headers?: Record<string, string>) => Promise<Response>, needed: number): Promise<{ fixture: ApiFixture; notes: string[] }> {
  const { stack } = ctx;
  const data = stack.data!;
  const m = db.models;
  const notes: string[] = [];
  const run = tag();
  const sample = (model: unknown, filter: Record<string, unknown>, name: string) => sampleIds(model as never, filter, 5000, `api:${name}`);
  const [companies, pending, licenceCompanies, cardUsers, cards, applications, openApplications, accounts] = await Promise.all([
    sample(m.Company, { 'contract.status': 'approved' }, 'companies'),
    sample(m.Company, { 'contract.status': 'pending' }, 'pending').catch(() => [] as string[]),
    sample(m.Company, { 'contract.status': 'approved', requestsCargoCards: true, 'transportLicence.number': { $exists: true } }, 'licences'),
    sample(m.CardUser, {}, 'card-users'),
    sample(m.Card, {}, 'cards'),
    sample(m.CardApplication, {}, 'applications'),
    sample(m.CardApplication, { status: 'awaiting-approvals' }, 'open-applications'),
    sample(m.PortalAccount, {}, 'accounts'),
  ]);
  const customerNumbers = ((await m.Company.find({ _id: { $in: companies.slice(0, 1000) } }, { customerNumber: 1 }).lean()) as Array<{ customerNumber?: string }>)
    .map((c) => c.customerNumber)
    .filter((c): c is string => !!c);
  const caseIds = [
    ...cards.slice(0, 2000).map(cardInUseWorkflowId),
    ...licenceCompanies.slice(0, 500).map(licenceWatchWorkflowId),
    ...openApplications.slice(0, 500).map(cardApplicationWorkflowId),
    ...pending.slice(0, 200).map(contractWorkflowId),
  ];
  const r = seededRandom('api:picks');
  const pick = <T>(items: readonly T[]) => () => items[r.int(items.length)]!;

  // Fresh targets for the starts: new approved CargoCard companies (a watch each), new card users (an application each).
  const watchCompanies = companyDocs(`w${run}`, needed, { contract: () => 'approved', licenceExpiresOn: new Date(Date.now() + 200 * 86_400_000).toISOString().slice(0, 10) });
  await insertCompanies(m, watchCompanies);
  const users = cardUserDocs(`a${run}`, Array.from({ length: needed }, (_, i) => ({ _id: companies[i % companies.length]! })), 1);
  await insertAll(m.CardUser as never, users);

  // Terminals (the data set has none), the Schedules (as `npm run schedules:apply` makes them).
  const terminals = Array.from({ length: 20 }, (_, i) => ({ terminalId: `BT-${run.slice(0, 6)}-${i}`, customerNumber: customerNumbers[i % customerNumbers.length]! }));
  for (const t of terminals) {
    const res = await call('POST', '/v1/terminals', 'backoffice', { ...t, location: 'Bench quay 1', model: 'Move/5000', by: 'bench' });
    if (res.status !== 201 && res.status !== 200) throw new Error(`registering a terminal answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    await res.body?.cancel();
  }
  const schedules = await applySchedules(stack.client, { temporal: { taskQueue: data.taskQueue }, rules: DEFAULT_RULES });

  // Updates with an outcome: the card user's approval of open applications, with an Idempotency-Key so the Update's ID is known.
  const updates: Array<{ workflowId: string; updateId: string }> = [];
  for (const applicationId of [...new Set(openApplications)].slice(0, 20)) {
    const app = (await m.CardApplication.findById(applicationId, { xsId: 1 }).lean()) as { xsId: string } | null;
    const key = `bench-${run}-${applicationId}`;
    const res = await call('POST', `/v1/card-applications/${encodeURIComponent(applicationId)}/approvals`, 'backoffice', { by: 'card-user', approvedBy: app!.xsId }, { 'idempotency-key': key });
    await res.body?.cancel();
    if (res.status >= 300) continue;
    const workflowId = cardApplicationWorkflowId(applicationId);
    const updateId = requestContext.run({ requestId: 'bench', caller: API_KEY_NAME('backoffice'), idempotencyKey: key }, () => updateIdFor(workflowId, approveByCardUserUpdate.name));
    updates.push({ workflowId, updateId });
  }
  if (updates.length === 0) throw new Error('no Update with an outcome could be made for getUpdateOutcome (no open application took an approval)');

  // A digest run to read: the month's (the digest benchmark's) if there is one, else the previous month's is started now.
  const digests: string[] = [];
  for await (const w of stack.client.workflow.list({ query: `WorkflowType = 'monthlyDigest'`, pageSize: 10 })) digests.push(w.workflowId.replace(/^digest:/, ''));
  if (digests.length === 0) notes.push('no digest run in this copy of the data set: getDigest reads a month without a run (404)');

  let kvk = 10_000_000 + r.int(80_000_000);
  let n = 0;
  const issuedOn = new Date(Date.now() - 10 * 86_400_000).toISOString().slice(0, 10);
  const fixture: ApiFixture = {
    company: pick(companies),
    pendingCompany: pick(pending.length ? pending : companies),
    licenceCompany: pick(licenceCompanies),
    customerNumber: pick(customerNumbers),
    cardUser: pick(cardUsers),
    card: pick(cards),
    application: pick(applications),
    account: pick(accounts),
    caseId: pick(caseIds),
    update: pick(updates),
    terminal: pick(terminals),
    digestPeriod: digests.length ? pick(digests) : previousMonth,
    scheduleId: pick(schedules.map((s) => s.scheduleId)),
    newCompanyBody: () => registrationBody(kvk++, issuedOn),
    newApplicationBody: cycleBodies(users.map((u) => ({ companyId: u.companyId, xsId: u._id, cardType: 'PortKey', deliveryMethod: 'post', destination: 'NL' }))),
    newAccountBody: () => ({
      name: 'Bench',
      customerNumber: pick(customerNumbers)(),
      email: `bench.${run}.${n++}@haven.example`,
      password: 'Quay-Lantern-7-Harbour!',
      language: 'en',
      accept: PORTAL_ACCEPTANCE,
    }),
    unwatchedCompany: cycleBodies(watchCompanies.map((c) => c._id)),
  };
  notes.push(
    `records picked at random (seeded) among the data set's: ${companies.length} approved companies, ${licenceCompanies.length} with a licence, ${cardUsers.length} card users, ${cards.length} cards, ${applications.length} applications, ${accounts.length} portal accounts, ${caseIds.length} running cases; ` +
      `made before the clock ran: ${needed} approved CargoCard companies (a watch each) and ${needed} card users (an application each), ${terminals.length} terminals, the ${schedules.length} Schedules, ${updates.length} approvals (Updates with an outcome)`,
  );
  return { fixture, notes };
}

/** Each call the next item; past the end, an error (a start must not reuse its target). */
function cycleBodies<T>(items: T[]): () => T {
  let i = 0;
  return () => {
    if (i >= items.length) throw new Error('more start requests than prepared targets');
    return items[i++]!;
  };
}

const API_KEY_NAME = (role: Role) => `bench-${role}`;

async function runApiOnData(ctx: BenchContext): Promise<BenchResult> {
  const { stack, sizes, log } = ctx;
  const data = stack.data!;
  const startedAt = new Date();
  const { measured, notMeasured } = planRequests();
  const variant = ctx.variants[0]!;
  const db = await stack.database(data.database);
  const worker = await stack.startWorker(variant, data.taskQueue, data.database);
  const secrets = Object.fromEntries(ROLES.map((role) => [role, randomSecret(32)])) as Record<Role, string>;
  const apiPort = await freePort();
  const base = `http://127.0.0.1:${apiPort}`;
  const headersFor = (role: Role | undefined, body: boolean): Record<string, string> => ({
    ...(role ? { authorization: `Bearer ${secrets[role]}` } : {}),
    ...(body ? { 'content-type': 'application/json' } : {}),
  });
  const call = (method: string, path: string, role: Role | undefined, body?: object, headers: Record<string, string> = {}) =>
    fetch(base + path, { method, headers: { ...headersFor(role, body !== undefined), ...headers }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const warmupS = Math.min(3, sizes.duration);
  // Every start request needs a fresh target: warm-up, pre-check and the measured run, with some to spare.
  const needed = Math.ceil(sizes.rate * (sizes.duration + warmupS) * 1.3) + 20;
  let busy = true;
  let busyDone = 0;
  let busyLoop: Promise<void> = Promise.resolve();
  const notes: string[] = [];
  try {
    await untilDatasetAsleep(stack, log);
    log('api: starting the API process (one key per role, rate limit far above the load)');
    const api = await startNodeService({
      name: 'api',
      script: 'api/main.js',
      env: {
        NODE_ENV: 'development',
        TEMPORAL_ADDRESS: stack.temporalAddress,
        TEMPORAL_NAMESPACE: data.namespace,
        TEMPORAL_TASK_QUEUE: data.taskQueue,
        MONGODB_URI: `${stack.mongoUrl}/${data.database}`,
        PAYLOAD_KEYS: stack.payloadKeys,
        SMTP_URL: stack.smtp.url,
        API_HOST: '127.0.0.1',
        API_PORT: String(apiPort),
        PUBLIC_BASE_URL: base,
        API_KEYS: ROLES.map((role) => `${API_KEY_NAME(role)}:${role}:${secrets[role]}`).join(','),
        API_RATE_LIMIT_PER_MINUTE: String(1_000_000),
        WORKER_METRICS_ADDRESS: 'off',
      },
      logFile: join(stack.dir, 'api-data.log'),
      echo: false,
      ready: () => httpOk(`${base}/healthz`),
    });
    try {
      log('api: preparing the requests (records of the data set, fresh targets for the starts)');
      const prepared = await dataFixture(ctx, db, call, needed);
      notes.push(...prepared.notes);
      const fixture = prepared.fixture;

      // Pre-check: every measured endpoint answers a request as planned (2xx), or the run says which does not.
      const precheck: Record<string, number> = {};
      for (const ep of measured) {
        const r = ep.request(fixture);
        const res = await call(ep.method.toUpperCase(), r.path, ep.role, r.body);
        precheck[ep.name] = res.status;
        const text = await res.text();
        if (res.status >= 300) notes.push(`pre-check: ${ep.name} answered ${res.status} to ${r.path}: ${text.slice(0, 200)}`);
      }

      busyLoop = Promise.all(
        Array.from({ length: busyLanes(sizes.inFlight) }, async (_, lane) => {
          let i = 0;
          while (busy) {
            const h = await stack.client.workflow.start('benchBare', { taskQueue: worker.taskQueue, workflowId: `busy-${lane}-${i++}-${tag()}`, args: [] });
            await h.result();
            busyDone++;
          }
        }),
      ).then(() => undefined);

      const results: Array<Record<string, unknown>> = [];
      const rows: Array<Record<string, string | number>> = [];
      const ratios: Record<string, number> = {};
      const missed: string[] = [];
      for (const ep of measured) {
        const request = (): autocannon.Request => {
          const r = ep.request(fixture);
          return { method: ep.method.toUpperCase() as autocannon.Request['method'], path: r.path, headers: headersFor(ep.role, r.body !== undefined), ...(r.body ? { body: JSON.stringify(r.body) } : {}) };
        };
        const requests = [{ setupRequest: (req: autocannon.Request) => ({ ...req, ...request() }) }];
        await cannon({ connections: 10, overallRate: sizes.rate, duration: warmupS, url: base, requests });
        log(`api: ${ep.name} and GET /healthz, ${sizes.rate} requests/s each for ${sizes.duration} s`);
        const cpu = cpuMeter({ worker: worker.pid, api: api.child.pid!, ...stack.serverPids });
        const busyBefore = busyDone;
        const t0 = now();
        const common = { connections: Math.max(10, 2 * sizes.rate), overallRate: sizes.rate, duration: sizes.duration, timeout: 30 };
        const [res, health] = await Promise.all([cannon({ ...common, url: base, requests }), cannon({ ...common, url: `${base}/healthz` })]);
        const busyRate = round((busyDone - busyBefore) / ((now() - t0) / 1000), 1);
        const s = summarize(res);
        const h = summarize(health);
        const p99Ratio = ratio(s.p99, h.p99);
        // Missed too when the rate was not held (answers slower than the run: autocannon counts only what came back).
        const held = s.requests >= 0.9 * sizes.rate * sizes.duration;
        const meets = held && s.p99 <= 100 && p99Ratio <= 3 && s.non2xx === 0 && s.errors === 0 && s.timeouts === 0;
        if (!meets) missed.push(ep.name);
        const codes = statuses(res);
        results.push({ endpoint: ep.name, operationId: ep.operationId, kind: ep.kind, role: ep.role ?? 'public', result: s, statuses: codes, healthz: h, p50Ratio: ratio(s.p50, h.p50), p99Ratio, meetsGoal: meets, busyBareWorkflowsPerSecond: busyRate, cpuSeconds: cpu.read() });
        ratios[`${ep.name} p99 / healthz p99`] = p99Ratio;
        rows.push({
          endpoint: ep.name,
          kind: ep.kind,
          requests: s.requests,
          statuses: Object.entries(codes).map(([c, k]) => `${c}:${k}`).join(' '),
          'p50 ms': s.p50,
          'p99 ms': s.p99,
          'healthz p50': h.p50,
          'healthz p99': h.p99,
          'p99 / healthz': p99Ratio,
          goal: meets ? 'met' : held ? 'MISSED' : 'MISSED (rate not held)',
        });
      }
      notes.push(`not measured (${notMeasured.length} operations): ${notMeasured.map((x) => `${x.name}: ${x.why}`).join('; ')}`);
      notes.push(missed.length ? `goal missed by ${missed.length} of ${measured.length} endpoints: ${missed.join(', ')}` : `goal met by all ${measured.length} endpoints`);
      return {
        benchmark: 'api',
        title: `API latency (${data.size} data set)`,
        measured: [
          `every read (GET) and start endpoint of the API, enumerated from its route declarations (api/routes, bench/api-requests.ts says what each is sent; ${measured.length} measured), on the ${data.size} data set's records picked at random (seeded);`,
          `per endpoint, after a ${warmupS} s warm-up, autocannon at ${sizes.rate} requests/s (${Math.max(10, 2 * sizes.rate)} connections, ${sizes.duration} s), and GET /healthz at the same rate at the same time (the baseline);`,
          `the API as its own process (dist/api/main.js) on the data set's database and task queue, one key per role (each request carries a key of a role that may call it; public operations none), API_RATE_LIMIT_PER_MINUTE=1000000;`,
          `the worker busy meanwhile: ${busyLanes(sizes.inFlight)} bare workflows kept in flight on the data set's worker, with its card lives and watches asleep on the server, plus what the requests start;`,
          'goal (issue 13): p99 <= 100 ms and <= 3 x the /healthz p99 measured at the same time, every answer 2xx.',
        ],
        sizes: { rate: sizes.rate, duration: sizes.duration },
        startedAt: startedAt.toISOString(),
        durationS: round((Date.now() - startedAt.getTime()) / 1000, 1),
        ratios,
        results: [{ variant: variant.name, precheck, endpoints: results, notMeasured }],
        tunings: [],
        notes,
        tables: [table(`API latency on the ${data.size} data set: ${measured.length} endpoints at ${sizes.rate} requests/s each, /healthz at the same rate at the same time, worker busy`, rows)],
      };
    } finally {
      busy = false;
      await busyLoop.catch(() => undefined);
      await api.stop();
    }
  } finally {
    await worker.stop();
    await db.close();
  }
}
