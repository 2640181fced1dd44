/**
 * Issue 11 point 7: creating a case converges. For every create path (company,
 * portal account, card application) and every fault between its steps (the API
 * dies after the record and before the start; the start is accepted but its
 * answer is lost), the record is kept, and both a client retry with the same
 * business key and the creation sweep end in one complete case: the record,
 * its workflow under the deterministic ID, and no pending mark. At the end
 * there is no orphan: every record has its workflow and every workflow its record.
 */
import { createLogger } from '../../observability/logger';
import type { Client } from '@temporalio/client';
import { currentVersions, DEFAULT_PORTAL_SETTINGS } from '../../api/services/sign-in';
import { creationCompleters } from '../../api/services/creation-sweep';
import { sweepHalfCreated } from '../../api/services/creation';
import { BusinessCalendar } from '../../domain/calendar';
import { DEFAULT_RULES } from '../../domain/rules';
import { accountWorkflowId, cardApplicationWorkflowId, contractWorkflowId } from '../../workflows/definitions';
import { startApiHarness, startApp, type ApiHarness, type AppServer } from '../support/api-harness';
import { companyRegistration, hex, insertCardUser, insertCompany } from '../support/fixtures';
import { eventually, workflowExists } from '../support/servers';

const calendar = new BusinessCalendar(DEFAULT_RULES);
let h: ApiHarness;

/** The real client, but every accepted start answers with a lost deadline: the server has the workflow, the caller does not know. */
function answerLost(client: Client): Client {
  const workflow = new Proxy(client.workflow, {
    get(target, prop) {
      if (prop === 'start') {
        return async (...args: Parameters<Client['workflow']['start']>) => {
          await target.start(...args);
          throw new Error('deadline exceeded (test: the start was accepted, its answer lost)');
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return new Proxy(client, { get: (target, prop) => (prop === 'workflow' ? workflow : Reflect.get(target, prop, target)) });
}

const FAULTS = ['crash after the record', 'start accepted, answer lost'] as const;
type Fault = (typeof FAULTS)[number];
const faulty: Partial<Record<Fault, AppServer>> = {};

beforeAll(async () => {
  h = await startApiHarness();
  const base = { db: h.db, taskQueue: h.taskQueue, logger: createLogger('error', {}, () => undefined) };
  faulty['crash after the record'] = await startApp({
    ...base,
    client: h.client,
    faults: {
      afterRecord: () => {
        throw new Error('test: the API died between the record and the start');
      },
    },
  });
  faulty['start accepted, answer lost'] = await startApp({ ...base, client: answerLost(h.client) });
});

afterAll(async () => {
  await Promise.all(Object.values(faulty).map((a) => a.close()));
  await h?.close();
});

/** One create path: a fresh request body, how to find its record, and the retry's expected answer. */
interface CreatePath {
  name: string;
  path: string;
  body(): Promise<Record<string, unknown>>;
  /** The record the request left behind, found by its business key. */
  record(body: Record<string, unknown>): Promise<{ _id: string; startPendingSince?: Date } | null>;
  workflowId(id: string): string;
  /** The status a retry with the same key answers once the case is complete. */
  retryStatus: number;
}

const PATHS: CreatePath[] = [
  {
    name: 'company registration',
    path: '/v1/companies',
    body: async () => companyRegistration(calendar),
    record: async (b) => h.db.models.Company.findOne({ kvkNumber: b.kvkNumber, vatId: b.vatId }).lean() as never,
    workflowId: contractWorkflowId,
    retryStatus: 409, // the registration exists; the answer names it
  },
  {
    name: 'portal account registration',
    path: '/v1/accounts',
    body: async () => ({
      name: 'de Vries',
      customerNumber: (await insertCompany(h.db.models)).customerNumber,
      email: `holder.${hex(8)}@haven.example`,
      password: 'Correct-Horse-Battery-9',
      accept: currentVersions(DEFAULT_PORTAL_SETTINGS),
    }),
    record: async (b) => h.db.models.PortalAccount.findOne({ emailKey: String(b.email).toLowerCase() }).lean() as never,
    workflowId: accountWorkflowId,
    retryStatus: 409,
  },
  {
    name: 'card application',
    path: '/v1/card-applications',
    body: async () => {
      const { companyId } = await insertCompany(h.db.models);
      const { xsId } = await insertCardUser(h.db.models, companyId);
      return { applicationId: `ca_${hex(16)}`, companyId, xsId, cardType: 'PortKey', deliveryMethod: 'post' };
    },
    record: async (b) => h.db.models.CardApplication.findById(b.applicationId).lean() as never,
    workflowId: cardApplicationWorkflowId,
    retryStatus: 200, // the same applicationId: the existing application
  },
];

const exists = (workflowId: string) => workflowExists(h.client, workflowId);

async function expectComplete(p: CreatePath, body: Record<string, unknown>) {
  const record = await p.record(body);
  expect(record).not.toBeNull();
  expect(record!.startPendingSince).toBeUndefined();
  const { status } = await h.client.workflow.getHandle(p.workflowId(record!._id)).describe();
  expect(status.name).toBe('RUNNING');
}

/** A request through the faulty app: it fails, and leaves the record (never deleted) marked pending. */
async function halfCreate(p: CreatePath, fault: Fault) {
  const body = await p.body();
  const res = await faulty[fault]!.api('POST', p.path, body);
  expect(res.status).toBe(500);
  const record = await p.record(body);
  expect(record).not.toBeNull();
  expect(record!.startPendingSince).toBeInstanceOf(Date);
  // Whether the workflow exists depends on the fault; either way the case is not complete yet.
  expect(await exists(p.workflowId(record!._id))).toBe(fault === 'start accepted, answer lost');
  return body;
}

describe.each(PATHS)('creating a case converges: $name', (p) => {
  test.each(FAULTS)('%s: a retry with the same business key ends in one complete case', async (fault) => {
    const body = await halfCreate(p, fault);
    const retry = await h.api('POST', p.path, body);
    expect(retry.status).toBe(p.retryStatus);
    await expectComplete(p, body);
    const again = await h.api('POST', p.path, body); // and a further retry changes nothing
    expect(again.status).toBe(p.retryStatus);
    await expectComplete(p, body);
  });

  test.each(FAULTS)('%s: without a retry, the creation sweep completes the case', async (fault) => {
    const body = await halfCreate(p, fault);
    const completers = creationCompleters({ models: h.db.models, temporal: h.client, taskQueue: h.taskQueue, calendar });
    // Within the grace period the sweep leaves it alone (its own request may still be starting it).
    await sweepHalfCreated(completers, { graceMs: 60_000 });
    expect((await p.record(body))!.startPendingSince).toBeInstanceOf(Date);
    expect(await sweepHalfCreated(completers, { graceMs: 0 })).toBeGreaterThanOrEqual(1);
    await expectComplete(p, body);
  });
});

test('no orphans: every record has its workflow and every workflow on the queue has its record', async () => {
  const { Company, PortalAccount, CardApplication } = h.db.models;
  const marked = { startPendingSince: { $exists: true } };
  const pending = await Promise.all([Company.countDocuments(marked), PortalAccount.countDocuments(marked), CardApplication.countDocuments(marked)]);
  expect(pending).toEqual([0, 0, 0]);
  // Records made by the API (fixture companies are inserted directly and have no workflow).
  const expected = [
    ...(await Company.find({ 'contract.status': 'pending' }, { _id: 1 }).lean()).map((c) => contractWorkflowId(c._id as string)),
    ...(await PortalAccount.find({}, { _id: 1 }).lean()).map((a) => accountWorkflowId(a._id as string)),
    ...(await CardApplication.find({}, { _id: 1 }).lean()).map((a) => cardApplicationWorkflowId(a._id as string)),
  ].sort();
  const listed = async () => {
    const ids: string[] = [];
    for await (const wf of h.client.workflow.list({ query: `TaskQueue = '${h.taskQueue}'` })) ids.push(wf.workflowId);
    return ids.sort();
  };
  expect(expected.length).toBe(PATHS.length * FAULTS.length * 2);
  // The visibility store lags a little behind the starts.
  await eventually(async () => JSON.stringify(await listed()) === JSON.stringify(expected)).catch(() => undefined);
  expect(await listed()).toEqual(expected);
});
