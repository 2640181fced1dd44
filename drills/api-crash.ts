/**
 * Drill api-crash (issue 11 point 7): SIGKILL the API again and again while
 * company registrations, portal-account registrations and card applications
 * are in flight. The API runs with XS_FAULT_DELAY_AFTER_RECORD_MS, so that
 * kills land between a record and its workflow's start; its creation sweep runs
 * every few seconds. Most clients retry with their Idempotency-Key until they
 * get an answer; some give up after the first failure (only the sweep can
 * complete their case). Then the drill counts, per business key: 0 lost (a
 * retrying client's case has no record), 0 duplicates (two records for one
 * key), and, after convergence, 0 orphans (a record without its workflow, a
 * workflow without its record, a record still marked half-created).
 */
import { randomBytes } from 'node:crypto';
import { currentVersions, DEFAULT_PORTAL_SETTINGS } from '../api/services/sign-in';
import { connectDatabase, type Database } from '../db/connection';
import { BusinessCalendar } from '../domain/calendar';
import { DEFAULT_RULES } from '../domain/rules';
import { accountWorkflowId, cardApplicationWorkflowId, contractWorkflowId } from '../workflows/definitions';
import { DatasetCheck } from './dataset-check';
import { bearer, call, DRILL_KEYS, DrillStack, missingWorkflows, say, sleep, type Answer, type DrillResult, type StackOptions } from './stack';

export interface ApiCrashOptions {
  /** Create requests in flight (a third each: companies, accounts, card applications). */
  cases: number;
  kills: number;
  /** The API's sleep between record and start (ms). */
  delayMs: number;
  /** Every this-many-th client gives up after its first failed call. */
  abandonEvery: number;
  /** Seconds allowed for convergence after the last client finished. */
  convergeSeconds: number;
  keep?: boolean;
}

/** The stack with the fault point and a quick sweep (the drill's stack is not production: the fault point is refused there). */
class CrashStack extends DrillStack {
  constructor(options: StackOptions, private readonly extra: NodeJS.ProcessEnv) {
    super(options);
  }
  override get env(): NodeJS.ProcessEnv {
    return { ...super.env, ...this.extra };
  }
}

type Kind = 'company' | 'account' | 'card-application';
interface Case {
  kind: Kind;
  key: string; // the business key: kvk, email or applicationId
  idempotencyKey: string;
  path: string;
  body: Record<string, unknown>;
  abandons: boolean;
  outcome?: 'done' | 'abandoned' | 'failed';
  attempts: number;
  last?: string;
}

const calendar = new BusinessCalendar(DEFAULT_RULES);
const run = randomBytes(3).toString('hex');
const headers = (idempotencyKey?: string) => ({
  authorization: bearer(DRILL_KEYS.backoffice),
  ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
});
const transient = (a: Answer) =>
  a.status === 0 || a.status >= 500 || a.status === 429 || (a.status === 202 && a.body?.status === 'pending') || (a.status === 409 && /Idempotency-Key/.test(String(a.body?.detail)));

function companyBody(i: number) {
  const kvk = String(10_000_000 + Math.floor(Math.random() * 89_999_999));
  return {
    companyName: `Crash Haulage ${i} B.V.`,
    kvkNumber: kvk,
    vatId: `NL${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}B01`,
    kvkExtract: { documentRef: `kvk-crash-${i}`, issuedOn: calendar.dayOf(new Date()) },
    signatory: { name: 'Crash Signatory', email: `signatory.${run}.${i}@crash.example`, listedInKvkExtract: true },
    contact: { name: 'Crash Contact', email: `contact.${run}.${i}@crash.example`, language: 'en' },
  };
}

/**
 * Set-up without faults: retried until accepted. On a data set the worker first works through the
 * data set's waking cases (its task queue's backlog), so a decision may wait minutes: a deadline, not a count.
 */
async function must(stack: DrillStack, method: string, path: string, body: unknown, ok: (a: Answer) => boolean): Promise<Answer> {
  let last: Answer | undefined;
  for (const deadline = Date.now() + (stack.dataset ? stack.datasetSettleMs : 5 * 60_000); Date.now() < deadline; ) {
    const a = (last = await call(stack.apiUrl, method, path, body));
    if (ok(a)) return a;
    await sleep(500);
  }
  throw new Error(`set-up call ${method} ${path} never succeeded (last answer: ${last?.status} ${JSON.stringify(last?.body).slice(0, 300)})`);
}

export async function apiCrashDrill(o: ApiCrashOptions): Promise<DrillResult> {
  say(`drill api-crash: ${o.cases} creations in flight, ${o.kills} API SIGKILLs, ${o.delayMs} ms between record and start`);
  const stack = new CrashStack({ name: 'api-crash', keep: o.keep }, {
    NODE_ENV: 'test',
    XS_FAULT_DELAY_AFTER_RECORD_MS: String(o.delayMs),
    API_CREATION_SWEEP_SECONDS: '5',
    API_CREATION_GRACE_SECONDS: '5',
    API_IDEMPOTENCY_LEASE_SECONDS: '3',
  });
  const started = Date.now();
  let passed = false;
  let db: Database | undefined;
  try {
    await stack.start();
    db = await connectDatabase(stack.mongoUri);
    const models = db.models;

    // Set-up: approved companies with a card user each, for the accounts and card applications.
    const hosts: { companyId: string; customerNumber: string; xsId: string }[] = [];
    for (let i = 0; i < Math.max(1, Math.ceil(o.cases / 30)); i++) {
      const co = await must(stack, 'POST', '/v1/companies', companyBody(10_000 + i), (a) => a.status === 201);
      const companyId = co.body.companyId as string;
      await must(stack, 'POST', `/v1/companies/${companyId}/decision`, { outcome: 'approved', decidedBy: 'drill-bo' }, (a) => a.status === 200);
      const user = await must(stack, 'POST', '/v1/card-users', {
        companyId, firstName: 'Crash', lastName: `User ${i}`, email: `user.${run}.${i}@crash.example`, language: 'en',
        identityDocument: { kind: 'passport', number: `CR${String(i).padStart(7, '0')}`, expiresOn: calendar.addDays(calendar.dayOf(new Date()), 3650) },
      }, (a) => a.status === 201);
      hosts.push({ companyId, customerNumber: co.body.customerNumber as string, xsId: user.body.xsId as string });
    }

    const cases: Case[] = Array.from({ length: o.cases }, (_, i) => {
      const host = hosts[i % hosts.length]!;
      const base = { idempotencyKey: `crash-${run}-${i}`, abandons: o.abandonEvery > 0 && i % o.abandonEvery === o.abandonEvery - 1, attempts: 0 };
      if (i % 3 === 0) {
        const body = companyBody(i);
        return { ...base, kind: 'company', key: body.kvkNumber, path: '/v1/companies', body };
      }
      if (i % 3 === 1) {
        const email = `holder.${run}.${i}@crash.example`;
        return { ...base, kind: 'account', key: email, path: '/v1/accounts', body: { name: `Holder ${i}`, customerNumber: host.customerNumber, email, password: 'Meeuw9!Steiger-Lood', accept: currentVersions(DEFAULT_PORTAL_SETTINGS) } };
      }
      const applicationId = `ca${run}x${String(i).padStart(6, '0')}`.replace(/^ca/, 'ca_');
      return { ...base, kind: 'card-application', key: applicationId, path: '/v1/card-applications', body: { applicationId, companyId: host.companyId, xsId: host.xsId, cardType: 'PortKey', deliveryMethod: 'post' } };
    });
    const accepted: Record<Kind, (a: Answer) => boolean> = {
      company: (a) => a.status === 201 || (a.status === 409 && typeof a.body?.companyId === 'string'),
      account: (a) => a.status === 201 || a.status === 409,
      'card-application': (a) => a.status === 201 || a.status === 200,
    };

    const drive = async (c: Case) => {
      await sleep(Math.random() * 8000); // spread over the kills
      const deadline = Date.now() + 5 * 60_000;
      while (Date.now() < deadline) {
        const a = await call(stack.apiUrl, 'POST', c.path, c.body, headers(c.idempotencyKey), 15_000);
        c.attempts++;
        c.last = `${a.status} ${JSON.stringify(a.body).slice(0, 200)}`;
        if (!transient(a)) return void (c.outcome = accepted[c.kind](a) ? 'done' : 'failed');
        if (c.abandons) return void (c.outcome = 'abandoned');
        await sleep(300 + Math.random() * 700);
      }
      c.outcome = 'failed';
    };
    let over = false;
    const clients = Promise.all(cases.map(drive)).then(() => void (over = true));

    const kills: { atSecond: number; halfCreatedRightAfter: number }[] = [];
    // The drill's own records only (on a data set, its pending companies were marked when it was seeded).
    const marked = { startPendingSince: { $exists: true }, ...stack.ownRecords };
    const countMarked = async () =>
      (await Promise.all([models.Company.countDocuments(marked), models.PortalAccount.countDocuments(marked), models.CardApplication.countDocuments(marked)])).reduce((a, b) => a + b, 0);
    for (let k = 0; k < o.kills && !over; k++) {
      await Promise.race([sleep(700 + Math.random() * 1500), clients]);
      if (over) break;
      await stack.kill('api');
      const halfCreated = await countMarked();
      kills.push({ atSecond: Math.round((Date.now() - started) / 1000), halfCreatedRightAfter: halfCreated });
      say(`kill ${k + 1}/${o.kills}: ${halfCreated} records without their workflow's start`);
      await sleep(500);
      await stack.startApi();
    }
    await clients;
    const clientsDoneAt = Date.now();

    // Convergence: the sweep (and retries) leave no record marked half-created.
    let remaining = await countMarked();
    while (remaining > 0 && Date.now() - clientsDoneAt < o.convergeSeconds * 1000) {
      await sleep(1000);
      remaining = await countMarked();
    }
    const convergedInSeconds = Math.round((Date.now() - clientsDoneAt) / 1000);

    // The count, per business key.
    const problems: string[] = [];
    const recordsOf = async (c: Case): Promise<string[]> => {
      const found =
        c.kind === 'company'
          ? await models.Company.find({ kvkNumber: c.key }, { _id: 1 }).lean()
          : c.kind === 'account'
            ? await models.PortalAccount.find({ email: c.key }, { _id: 1 }).lean()
            : await models.CardApplication.find({ _id: c.key }, { _id: 1 }).lean();
      return found.map((r) => r._id as string);
    };
    let lost = 0, duplicates = 0, failed = 0, abandonedWithRecord = 0;
    for (const c of cases) {
      const ids = await recordsOf(c);
      if (c.outcome === 'failed') {
        failed++;
        problems.push(`${c.kind} ${c.key}: the client got no acceptable answer (${c.attempts} attempts, last ${c.last})`);
      }
      if (ids.length > 1) {
        duplicates++;
        problems.push(`${c.kind} ${c.key}: ${ids.length} records`);
      }
      if (ids.length === 0 && c.outcome === 'done') {
        lost++;
        problems.push(`${c.kind} ${c.key}: accepted, but no record (${c.attempts} attempts, last ${c.last})`);
      }
      if (ids.length && c.outcome === 'abandoned') abandonedWithRecord++;
    }

    // Orphans: every record has its workflow, every workflow its record.
    const expected = new Set<string>([
      ...(await models.Company.find(stack.ownRecords, { _id: 1 }).lean()).map((r) => contractWorkflowId(r._id as string)),
      ...(await models.PortalAccount.find(stack.ownRecords, { _id: 1 }).lean()).map((r) => accountWorkflowId(r._id as string)),
      ...(await models.CardApplication.find(stack.ownRecords, { _id: 1 }).lean()).map((r) => cardApplicationWorkflowId(r._id as string)),
    ]);
    const orphans = await missingWorkflows(stack.client, expected);
    const recordsWithoutWorkflow = orphans.length;
    for (const id of orphans) problems.push(`record without its workflow: ${id}`);
    let workflowsWithoutRecord = 0;
    for await (const wf of stack.client.workflow.list({ query: `WorkflowType IN ('contractApproval', 'portalAccount', 'cardApplication') AND ${stack.ownWorkflowsQuery}` })) {
      if (!expected.has(wf.workflowId)) {
        workflowsWithoutRecord++;
        problems.push(`workflow without its record: ${wf.workflowId}`);
      }
    }
    if (remaining) problems.push(`${remaining} records still marked half-created after ${o.convergeSeconds} s`);
    const dataset = DatasetCheck.of(stack);
    await dataset?.settle();
    const datasetReport = await dataset?.verify();
    problems.push(...(datasetReport?.problems ?? []));
    const halfCreatedSeen = Math.max(0, ...kills.map((k) => k.halfCreatedRightAfter));
    if (!kills.length) problems.push('no kill happened while requests were in flight');
    else if (halfCreatedSeen === 0) problems.push('no kill landed between a record and its start: the drill proved nothing');
    passed = problems.length === 0;
    return {
      drill: 'api-crash',
      passed,
      figures: {
        cases: cases.length,
        byKind: Object.fromEntries((['company', 'account', 'card-application'] as Kind[]).map((k) => [k, cases.filter((c) => c.kind === k).length])),
        done: cases.filter((c) => c.outcome === 'done').length,
        abandoned: cases.filter((c) => c.outcome === 'abandoned').length,
        abandonedWithRecord,
        failed,
        retries: cases.reduce((n, c) => n + c.attempts - 1, 0),
        apiKills: kills.length,
        kills,
        lost,
        duplicates,
        recordsWithoutWorkflow,
        workflowsWithoutRecord,
        stillHalfCreated: remaining,
        convergedInSeconds,
        ...(datasetReport ? { dataset: datasetReport.figures } : {}),
        exitedOnTheirOwn: stack.unexpectedExits,
        seconds: Math.round((Date.now() - started) / 1000),
      },
      problems,
    };
  } finally {
    await db?.close().catch(() => undefined);
    await stack.stop(o.keep || !passed);
  }
}
