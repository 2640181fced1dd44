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
import { cardUserDocs, companyDocs, insertAll, insertCompanies, tag } from './fixtures';
import { cpuMeter, now, ratio, round, table } from './measure';
import { freePort, httpOk } from '../stack/processes';
import { startNodeService } from '../stack/services';
import { randomSecret } from './stack';

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
      const companyBody = () => {
        const n = kvk++;
        return {
          companyName: `Bench Registration ${n} B.V.`,
          kvkNumber: String(n),
          vatId: `NL${String(n).padStart(9, '0')}B01`,
          kvkExtract: { documentRef: `kvk-${n}`, issuedOn },
          signatory: { name: 'Anna de Vries', email: `anna.${n}@haven.example`, listedInKvkExtract: true },
          contact: { name: 'Piet Bakker', email: `piet.${n}@haven.example`, language: 'en' },
        };
      };
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
