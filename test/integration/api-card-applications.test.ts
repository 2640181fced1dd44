/**
 * The card-user and card-application API over HTTP: the express app on a real
 * port, a real worker on the Java time-skipping server (so the cut-offs and
 * the pickup window are reached by moving its clock, never by waiting), a
 * fresh FerretDB database and a real SMTP receiver.
 *
 * Also here: the traces of one card application in an in-process OTLP collector (API request -> the
 * client's start or Update, which stand for the workflow's part -> the activities), the worker and a second
 * app tracing into it.
 */
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { LOCAL_API_KEYS } from '../../config/api-keys';
import type { Database } from '../../db/connection';
import { BusinessCalendar, type IsoDay } from '../../domain/calendar';
import { DEFAULT_RULES, type LocalTime } from '../../domain/rules';
import { clientInterceptors, createTracing, workerTracingOptions, type Tracing } from '../../observability/tracing';
import { cardApplicationWorkflowId } from '../../workflows/definitions';
import { startApp, type Api, type ApiResponse, type AppServer } from '../support/api-harness';
import { hex, insertCardUser, insertCompany } from '../support/fixtures';
import { chainOf, startCollector, type Collector, type ExportedSpan } from '../support/otlp-collector';
import { eventually, testDataConverter } from '../support/servers';
import type { SmtpReceiver } from '../../stack/smtp-receiver';
import { startWorkflowHarness, type WorkflowHarness } from '../support/workflow-harness';

const calendar = new BusinessCalendar(DEFAULT_RULES);

let h: WorkflowHarness;
/** `traced`: the same API with tracing on, exporting (like the worker) to `collector`. */
let app: AppServer, traced: AppServer;
let env: TestWorkflowEnvironment, db: Database, receiver: SmtpReceiver, api: Api;
let collector: Collector, apiTracing: Tracing, workerTracing: Tracing;

beforeAll(async () => {
  collector = await startCollector();
  apiTracing = createTracing({ serviceName: 'xs-backoffice-api', otlpEndpoint: collector.url });
  workerTracing = createTracing({ serviceName: 'xs-backoffice-worker', otlpEndpoint: collector.url });
  h = await startWorkflowHarness({ workflowsPath: require.resolve('./card-workflows'), worker: workerTracingOptions(workerTracing) });
  // The app talks to the test server through env.client, as it always did here.
  app = await startApp({ db: h.db, client: h.env.client, taskQueue: h.taskQueue });
  const tracedClient = new Client({ connection: h.env.connection, namespace: h.env.namespace, dataConverter: testDataConverter(), interceptors: clientInterceptors(apiTracing) });
  traced = await startApp({ db: h.db, client: tracedClient, taskQueue: h.taskQueue, tracing: apiTracing });
  ({ env, db, receiver } = h);
  ({ api } = app);
});

afterAll(async () => {
  await app?.close();
  await traced?.close();
  await h?.close();
  await Promise.all([apiTracing?.shutdown(), workerTracing?.shutdown()]);
  collector?.close();
});

// ---- helpers ------------------------------------------------------------------

const fieldsOf = (res: ApiResponse): string[] => (res.body.errors ?? []).map((e: { field: string }) => e.field);
const today = () => calendar.dayOf(new Date());

function cardUserBody(companyId: string, overrides: Record<string, unknown> = {}) {
  return {
    companyId,
    firstName: 'Anna',
    lastName: 'de Vries',
    email: `anna.${hex(8)}@haven.example`,
    language: 'en',
    identityDocument: { kind: 'passport', number: 'NX1234567', expiresOn: calendar.addDays(today(), 365) },
    ...overrides,
  };
}

async function companyAndUser(options: Parameters<typeof insertCompany>[1] = {}) {
  const company = await insertCompany(db.models, options);
  const user = await insertCardUser(db.models, company.companyId);
  return { ...company, ...user };
}

async function applyFor(who: { companyId: string; xsId: string }, overrides: Record<string, unknown> = {}) {
  const res = await api('POST', '/v1/card-applications', { companyId: who.companyId, xsId: who.xsId, cardType: 'PortKey', deliveryMethod: 'post', ...overrides });
  expect(res.status).toBe(201);
  return res.body.applicationId as string;
}

const at = (day: IsoDay, time: LocalTime): Date => calendar.atLocalTime(day, time);

// ---- card users -----------------------------------------------------------------

describe('POST /v1/card-users', () => {
  test('registers a card user of an approved company: 201 with its XS-ID and location; GET reads it back', async () => {
    const { companyId } = await insertCompany(db.models);
    const body = cardUserBody(companyId);

    const res = await api('POST', '/v1/card-users', body);

    expect(res.status).toBe(201);
    expect(res.body.xsId).toMatch(/^xs_[A-Za-z0-9]{8,40}$/);
    expect(res.headers.get('location')).toBe(`/v1/card-users/${res.body.xsId}`);
    expect(res.body).toEqual({
      xsId: res.body.xsId,
      companyId,
      firstName: 'Anna',
      lastName: 'de Vries',
      email: body.email,
      language: 'en',
      identityDocument: { kind: 'passport', numberEnding: '567', expiresOn: body.identityDocument.expiresOn },
    });
    expect(await api('GET', `/v1/card-users/${res.body.xsId}`)).toMatchObject({ status: 200, body: res.body });
  });

  test('a driving licence is refused, naming the field', async () => {
    const { companyId } = await insertCompany(db.models);
    const body = cardUserBody(companyId, { identityDocument: { kind: 'driving-licence', number: 'DL1234567', expiresOn: '2030-01-01' } });

    const res = await api('POST', '/v1/card-users', body);

    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'identityDocument.kind', message: expect.stringMatching(/driving licence is not accepted/) }]);
  });

  test.each([
    ['an expired identity document', { contract: 'approved' }, { expiresOn: 'yesterday' }, 'identityDocument.expiresOn'],
    ['a company whose contract is not approved', { contract: 'pending' }, {}, 'companyId'],
  ] as const)('%s is 422, and nothing is stored', async (_name, companyOptions, document, field) => {
    const { companyId } = await insertCompany(db.models, companyOptions);
    const expiresOn = 'expiresOn' in document ? calendar.addDays(today(), -1) : calendar.addDays(today(), 365);
    const before = await db.models.CardUser.countDocuments();

    const res = await api('POST', '/v1/card-users', cardUserBody(companyId, { identityDocument: { kind: 'id-card', number: 'IDN123456', expiresOn } }));

    expect(res.status).toBe(422);
    expect(fieldsOf(res)).toEqual([field]);
    expect(await db.models.CardUser.countDocuments()).toBe(before);
  });

  test('unknown company, unknown fields and malformed values', async () => {
    const unknownCompany = await api('POST', '/v1/card-users', cardUserBody('co_doesnotexist1'));
    expect(unknownCompany.status).toBe(422);
    expect(fieldsOf(unknownCompany)).toEqual(['companyId']);

    const { companyId } = await insertCompany(db.models);
    const extra = await api('POST', '/v1/card-users', { ...cardUserBody(companyId), nickname: 'Annie' });
    expect(extra.status).toBe(400);
    expect(fieldsOf(extra)).toEqual(['nickname']);

    const malformed = await api('POST', '/v1/card-users', cardUserBody(companyId, { email: 'not-an-email', language: 'fr' }));
    expect(malformed.status).toBe(400);
    expect(fieldsOf(malformed).sort()).toEqual(['email', 'language']);
  });

  test('GET: a malformed XS-ID is 400, an unknown one 404', async () => {
    expect((await api('GET', '/v1/card-users/nope')).status).toBe(400);
    expect((await api('GET', '/v1/card-users/xs_unknown123')).status).toBe(404);
  });
});

// ---- card applications ------------------------------------------------------------

describe('POST /v1/card-applications', () => {
  test('an application is stored, answered 201, starts its workflow and mails a confirmation to the company contact', async () => {
    const who = await companyAndUser();

    const res = await api('POST', '/v1/card-applications', { companyId: who.companyId, xsId: who.xsId, cardType: 'CargoCard', deliveryMethod: 'pickup' });

    expect(res.status).toBe(201);
    const { applicationId } = res.body;
    expect(applicationId).toMatch(/^ca_[A-Za-z0-9]{8,40}$/);
    expect(res.headers.get('location')).toBe(`/v1/card-applications/${applicationId}`);
    expect(res.body).toMatchObject({
      workflowId: `card:${applicationId}`,
      companyId: who.companyId,
      xsId: who.xsId,
      cardType: 'CargoCard',
      deliveryMethod: 'pickup',
      destination: 'NL',
      status: 'awaiting-approvals',
    });
    const description = await env.client.workflow.getHandle(cardApplicationWorkflowId(applicationId)).describe();
    expect(description.type).toBe('cardApplication');
    expect(description.status.name).toBe('RUNNING');
    await eventually(async () => receiver.messages.some((m) => m.to.includes(who.contact) && m.subject.includes(applicationId)));

    const read = await api('GET', `/v1/card-applications/${applicationId}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ applicationId, status: 'awaiting-approvals', state: { phase: 'awaiting-approvals', approvals: {} } });
  });

  test('the same applicationId again returns the existing application (200), never a second one; with other contents it is 409', async () => {
    const who = await companyAndUser();
    const body = { applicationId: `ca_${hex(16)}`, companyId: who.companyId, xsId: who.xsId, cardType: 'PortKey', deliveryMethod: 'post' };

    const first = await api('POST', '/v1/card-applications', body);
    const again = await api('POST', '/v1/card-applications', body);

    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body.applicationId).toBe(body.applicationId);
    expect(await db.models.CardApplication.countDocuments({ _id: body.applicationId })).toBe(1);
    expect((await env.client.workflow.getHandle(cardApplicationWorkflowId(body.applicationId)).describe()).runId).toBeDefined();

    const other = await api('POST', '/v1/card-applications', { ...body, cardType: 'DigitalSafetyPassport' });
    expect(other.status).toBe(409);
  });

  test.each([
    ['a CargoCard when the company has no transport licence', { transportLicence: null, requestsCargoCards: true }, 'CargoCard', 'cardType', /no(ne)? .*on record/],
    ['a CargoCard when the company\'s licence has expired', { transportLicence: { expiresOn: '2020-01-31'  }}, 'CargoCard', 'cardType', /expired on 2020-01-31/],
    ['a CargoCard when the company did not request CargoCards (a licence on record, no watch)', { requestsCargoCards: false }, 'CargoCard', 'cardType', /did not request CargoCards/],
    ['any card when the contract is not approved', { contract: 'pending' }, 'PortKey', 'companyId', /pending, not approved/],
  ] as const)('%s is 422 and starts nothing', async (_name, companyOptions, cardType, field, message) => {
    const who = await companyAndUser(companyOptions);
    const before = await db.models.CardApplication.countDocuments();

    const res = await api('POST', '/v1/card-applications', { companyId: who.companyId, xsId: who.xsId, cardType, deliveryMethod: 'post' });

    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ field, message: expect.stringMatching(message) }]);
    expect(await db.models.CardApplication.countDocuments()).toBe(before);
  });

  test('a card user of another company is 422', async () => {
    const who = await companyAndUser();
    const other = await insertCompany(db.models);
    const res = await api('POST', '/v1/card-applications', { companyId: other.companyId, xsId: who.xsId, cardType: 'PortKey', deliveryMethod: 'post' });
    expect(res.status).toBe(422);
    expect(fieldsOf(res)).toEqual(['xsId']);
  });

  test('malformed input is 400 with every wrong field', async () => {
    const res = await api('POST', '/v1/card-applications', { companyId: 'acme', xsId: 'xs_short', cardType: 'GoldCard', deliveryMethod: 'drone', colour: 'red' });
    expect(res.status).toBe(400);
    expect(fieldsOf(res).sort()).toEqual(['cardType', 'colour', 'companyId', 'deliveryMethod', 'xsId']);
    expect((await api('POST', '/v1/card-applications', [])).status).toBe(400);
  });
});

// ---- tracing -------------------------------------------------------------------

// Before the steering tests: run after them, its env.sleep of three days did not return within 120 s (not understood yet).
describe('tracing', () => {
  /** The spans of the trace whose API request span names `requestId`, once `until` is among them. */
  async function traceOf(requestId: string, until: string): Promise<ExportedSpan[]> {
    return eventually(async () => {
      await Promise.all([apiTracing.flush(), workerTracing.flush()]);
      const root = collector.spans.find((s) => s.service === 'xs-backoffice-api' && s.attributes['xs.request_id'] === requestId);
      const spans = root ? collector.spans.filter((s) => s.traceId === root.traceId) : [];
      return spans.some((s) => s.name === until) && spans;
    });
  }

  test('one card application is traced from each API request through its workflow to its activities, which name the X-Request-Id', async () => {
    const who = await companyAndUser();
    const day = await h.workingDayAhead();
    await h.sleepUntil(at(day, '09:00')); // an urgent pickup approved now is produced at once
    const ids = { apply: `apply-${hex(8)}`, backoffice: `bo-${hex(8)}`, cardUser: `cu-${hex(8)}` };
    const applied = await traced.api('POST', '/v1/card-applications', { companyId: who.companyId, xsId: who.xsId, cardType: 'PortKey', deliveryMethod: 'urgent-pickup' }, { 'x-request-id': ids.apply });
    expect(applied.status).toBe(201);
    const path = `/v1/card-applications/${applied.body.applicationId}`;
    expect((await traced.api('POST', `${path}/approvals`, { by: 'back-office', approvedBy: 'bo-1' }, { 'x-request-id': ids.backoffice })).status).toBe(200);
    expect((await traced.api('POST', `${path}/approvals`, { by: 'card-user', approvedBy: who.xsId }, { 'x-request-id': ids.cardUser })).status).toBe(200);

    // The application's own story (received, mailed, produced, its PIN mailed) is in the trace of the request that started it.
    const story = await traceOf(ids.apply, 'RunActivity:sendCardPinEmail');
    const activities = story.filter((s) => s.name.startsWith('RunActivity:'));
    expect(activities.map((s) => s.name)).toEqual(expect.arrayContaining([
      'RunActivity:recordApplicationReceived', 'RunActivity:sendEmail', 'RunActivity:produceCard', 'RunActivity:sendCardPinEmail',
    ]));
    for (const s of activities) {
      expect({ name: s.name, service: s.service, chain: chainOf(story, s), requestId: s.attributes['xs.request_id'] }).toEqual({
        name: s.name, service: 'xs-backoffice-worker', chain: ['POST applyForCard', 'StartWorkflow:cardApplication', s.name], requestId: ids.apply,
      });
    }

    // Each approval is a trace of its own: its request, its Update, the activity the handler ran.
    for (const [requestId, update] of [[ids.backoffice, 'approveByBackoffice'], [ids.cardUser, 'approveByCardUser']] as const) {
      const spans = await traceOf(requestId, 'RunActivity:recordApplicationProgress');
      const recorded = spans.find((s) => s.name === 'RunActivity:recordApplicationProgress')!;
      expect(chainOf(spans, recorded)).toEqual(['POST approveCardApplication', `StartWorkflowUpdate:${update}`, 'RunActivity:recordApplicationProgress']);
      expect(recorded.attributes['xs.request_id']).toBe(requestId);
    }
  });
});

describe('steering an application', () => {
  test('urgent pickup over HTTP: approvals, a pickup, wrong PINs lock activation, a new PIN from customer service, the right PIN', async () => {
    const who = await companyAndUser();
    const id = await applyFor(who, { deliveryMethod: 'urgent-pickup' });
    const path = `/v1/card-applications/${id}`;
    const day = await h.workingDayAhead();
    await h.sleepUntil(at(day, '09:00'));

    const first = await api('POST', `${path}/approvals`, { by: 'back-office', approvedBy: 'bo-1' });
    expect(first).toMatchObject({ status: 200, body: { approvedForProduction: false } });
    expect((await api('POST', `${path}/approvals`, { by: 'back-office', approvedBy: 'bo-2' })).status).toBe(409);
    expect(fieldsOf(await api('POST', `${path}/approvals`, { by: 'manager', approvedBy: 'x' }))).toEqual(['by']);
    expect((await api('POST', `${path}/pickup`, { collectedBy: 'Anna de Vries' })).status).toBe(409);

    const second = await api('POST', `${path}/approvals`, { by: 'card-user', approvedBy: who.xsId });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ approvedForProduction: true, plan: { method: 'urgent-pickup', readyOn: day } });
    const held = await eventually(async () => {
      const r = await api('GET', path);
      return r.body.state?.phase === 'held-for-pickup' && r.body.status === 'held-for-pickup' ? r.body : undefined;
    });
    expect(held.cardNumber).toMatch(/^XK\d{10}$/);
    expect((await api('POST', `${path}/convert-to-urgent`, {})).status).toBe(409);

    await h.sleepUntil(at(day, '09:30'));
    expect((await api('POST', `${path}/pickup`, { collectedBy: 'Kees Vreemd' })).status).toBe(422);
    expect((await api('POST', `${path}/activation`, { pin: '0000' })).status).toBe(409);
    const pickedUp = await api('POST', `${path}/pickup`, { collectedBy: 'Anna de Vries' });
    expect(pickedUp).toMatchObject({ status: 200, body: { outcome: 'collected', collectedBy: 'Anna de Vries' } });

    await eventually(async () => receiver.messages.some((m) => m.to.includes(who.contact) && /^PIN code/.test(m.subject)));
    const pin = /PIN code is:\s*(\d{4})/.exec(receiver.messages.find((m) => m.to.includes(who.contact) && /^PIN code/.test(m.subject))!.text)![1]!;
    const notThe = (p: string) => String((Number(p) + 1) % 10_000).padStart(4, '0');
    const wrong = await api('POST', `${path}/activation`, { pin: notThe(pin) });
    expect(wrong.status).toBe(422);
    expect(fieldsOf(wrong)).toEqual(['pin']);
    expect(fieldsOf(await api('POST', `${path}/activation`, { pin: '12345' }))).toEqual(['pin']);
    expect((await api('GET', path)).body.pin).toEqual({ failedAttempts: 1, maxAttempts: 3, locked: false, reissued: 0 });

    // Two more wrong PINs lock activation; then even the right PIN is refused without being checked.
    for (let i = 2; i <= 3; i++) expect((await api('POST', `${path}/activation`, { pin: notThe(pin) })).status).toBe(422);
    const refused = await api('POST', `${path}/activation`, { pin });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain('customer service issues a new PIN');
    const locked = await api('GET', path);
    expect(locked.body.pin).toMatchObject({ failedAttempts: 3, locked: true, lockedAt: expect.any(String) });
    await eventually(async () => receiver.messages.some((m) => m.to.includes(who.contact) && /is locked$/.test(m.subject)));

    // Only customer service and the back-office issue a new PIN; it goes to the company contact and unlocks activation.
    const asRole = (role: keyof typeof LOCAL_API_KEYS) => ({ authorization: `Bearer ${LOCAL_API_KEYS[role]}` });
    expect((await api('POST', `${path}/pin`, { requestedBy: 'sched' }, asRole('system'))).status).toBe(403);
    expect(fieldsOf(await api('POST', `${path}/pin`, {}, asRole('customer-service')))).toEqual(['requestedBy']);
    const reissued = await api('POST', `${path}/pin`, { requestedBy: 'cs-7' }, asRole('customer-service'));
    expect(reissued).toMatchObject({ status: 200, body: { cardNumber: held.cardNumber, issue: 1 } });
    const newPinMail = await eventually(async () =>
      receiver.messages.find((m) => m.to.includes(who.contact) && /^PIN code/.test(m.subject) && /new PIN code was issued/.test(m.text)),
    );
    const newPin = /PIN code is:\s*(\d{4})/.exec(newPinMail.text)![1]!;
    expect((await api('GET', path)).body.pin).toEqual({ failedAttempts: 0, maxAttempts: 3, locked: false, reissued: 1 });

    const activated = await api('POST', `${path}/activation`, { pin: newPin });
    expect(activated.status).toBe(200);
    expect(activated.body).toEqual({
      cardNumber: held.cardNumber,
      activatedAt: expect.any(String),
      expiresAt: calendar.cardExpiresAt(new Date(activated.body.activatedAt)).toISOString(),
    });
    expect((await api('POST', `${path}/activation`, { pin: newPin })).status).toBe(409);
    expect((await api('POST', `${path}/pin`, { requestedBy: 'cs-7' })).status).toBe(409);
    const done = await eventually(async () => {
      const r = await api('GET', path);
      return r.body.status === 'active' ? r.body : undefined;
    });
    expect(done).toMatchObject({ cardNumber: held.cardNumber, collectedBy: 'Anna de Vries', expiresAt: activated.body.expiresAt, state: { phase: 'active' } });
  });

  test('convert-to-urgent before approval, then once more is 409', async () => {
    const id = await applyFor(await companyAndUser());
    const converted = await api('POST', `/v1/card-applications/${id}/convert-to-urgent`, { requestedBy: 'bo-1' });
    expect(converted).toMatchObject({ status: 200, body: { deliveryMethod: 'urgent-pickup' } });
    expect(converted.body.plan).toBeUndefined();
    expect((await api('POST', `/v1/card-applications/${id}/convert-to-urgent`)).status).toBe(409);
    await eventually(async () => (await db.models.CardApplication.findById(id).lean())?.deliveryMethod === 'urgent-pickup');
    expect(fieldsOf(await api('POST', `/v1/card-applications/${id}/convert-to-urgent`, { urgent: true }))).toEqual(['urgent']);
  });

  test('a collector is named for a pickup; for a card sent by post it is 422; an empty name is 400', async () => {
    const who = await companyAndUser();
    const pickup = await applyFor(who, { deliveryMethod: 'pickup' });
    const post = await applyFor(who, { deliveryMethod: 'post' });

    const named = await api('POST', `/v1/card-applications/${pickup}/collector`, { name: 'Piet Bakker' });
    expect(named).toMatchObject({ status: 200, body: { collectorName: 'Piet Bakker' } });
    await eventually(async () => (await db.models.CardApplication.findById(pickup).lean())?.collectorName === 'Piet Bakker');
    expect((await api('POST', `/v1/card-applications/${post}/collector`, { name: 'Piet Bakker' })).status).toBe(422);
    expect(fieldsOf(await api('POST', `/v1/card-applications/${pickup}/collector`, { name: '  ' }))).toEqual(['name']);
  });

  test('an unknown application is 404 for reads and actions; a malformed ID is 400', async () => {
    expect((await api('GET', '/v1/card-applications/ca_unknown12345')).status).toBe(404);
    expect((await api('POST', '/v1/card-applications/ca_unknown12345/approvals', { by: 'card-user', approvedBy: 'x' })).status).toBe(404);
    expect((await api('POST', '/v1/card-applications/ca_unknown12345/activation', { pin: '1234' })).status).toBe(404);
    expect((await api('GET', '/v1/card-applications/123')).status).toBe(400);
  });

  test('the OpenAPI document lists the card paths', async () => {
    const res = await api('GET', '/openapi.json');
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/card-users',
        '/v1/card-users/{xsId}',
        '/v1/card-applications',
        '/v1/card-applications/{applicationId}',
        '/v1/card-applications/{applicationId}/approvals',
        '/v1/card-applications/{applicationId}/convert-to-urgent',
        '/v1/card-applications/{applicationId}/collector',
        '/v1/card-applications/{applicationId}/pickup',
        '/v1/card-applications/{applicationId}/activation',
        '/v1/card-applications/{applicationId}/pin',
      ]),
    );
  });
});
