/**
 * The cards-in-use and transport-licence API over HTTP: express on a real
 * port, the shared Temporal dev server with a real worker on a queue of its
 * own (the real `cardInUse` and `licenceWatch`, a stand-in `cardApplication`),
 * a fresh FerretDB database and a real SMTP receiver.
 *
 * Also here, on the same servers: an Update across a client timeout (the worker held back until the API has
 * answered 202), and update-with-start for a licence renewal. (The trace of a card application in an
 * in-process OTLP collector is in api-card-applications.test.ts.)
 */
import type { Client } from '@temporalio/client';
import type { Database } from '../../db/connection';
import { BusinessCalendar } from '../../domain/calendar';
import { DEFAULT_RULES } from '../../domain/rules';
import type { cardInUse } from '../../workflows';
import { cardInUseStateQuery, cardInUseWorkflowId, licenceStateQuery, licenceWatchWorkflowId } from '../../workflows/definitions';
import { startApiHarness, startApp, type ApiHarness, type ApiResponse, type AppServer } from '../support/api-harness';
import { hex, insertCardUser, insertCompany, newCardNumber } from '../support/fixtures';
import { eventually } from '../support/servers';
import type { SmtpReceiver } from '../../stack/smtp-receiver';

const calendar = new BusinessCalendar(DEFAULT_RULES);
const DAY = 86_400_000;

let h: ApiHarness;
let client: Client, db: Database, receiver: SmtpReceiver, taskQueue: string;
/** The API with a short Temporal deadline (1.5 s), on the harness's servers. */
let hasty: AppServer;

beforeAll(async () => {
  // The worker is held back: the first test answers an Update with no worker polling, then starts it.
  h = await startApiHarness({ runWorker: false, worker: { workflowsPath: require.resolve('./card-in-use-workflows') } });
  ({ client, db, receiver, taskQueue } = h);
  hasty = await startApp({ db, client, taskQueue, temporalDeadlineMs: 1_500 });
});

afterAll(async () => {
  await hasty?.close();
  await h?.close();
});

// ---- helpers ------------------------------------------------------------------------

/** Calls the API; every error answer is checked to be problem+json without internals. `rawBody` is sent as it is. */
const api = (method: string, path: string, body?: unknown, rawBody?: string): Promise<ApiResponse> => h.api(method, path, rawBody ?? body);
const fieldsOf = (res: ApiResponse): string[] => (res.body.errors ?? []).map((e: { field: string }) => e.field).sort();
const today = () => calendar.dayOf(new Date());

async function createCompany(overrides: { requestsCargoCards?: boolean; contract?: 'pending' | 'approved'; licenceExpiresOn?: string } = {}) {
  const licence = { number: `NIWO-${hex(6)}`, expiresOn: overrides.licenceExpiresOn ?? calendar.addDays(today(), 60), documentRef: 'doc-licence' };
  const { companyId } = await insertCompany(db.models, {
    name: 'Haven Transport B.V.',
    language: 'de',
    contract: overrides.contract,
    requestsCargoCards: overrides.requestsCargoCards ?? true,
    transportLicence: licence,
  });
  return { companyId, licence };
}

/** An active CargoCard with its running `cardInUse` workflow (`wait: false`: started, not waited for); `status: 'expired'` gives a record only. */
async function createCard(options: { expiresAt?: Date; status?: 'active' | 'expired'; company?: Parameters<typeof createCompany>[0]; wait?: boolean } = {}) {
  const { companyId } = await createCompany(options.company);
  const activatedAt = new Date();
  const expiresAt = options.expiresAt ?? calendar.cardExpiresAt(activatedAt);
  const cardNumber = newCardNumber();
  const applicationId = `ca_${hex(16)}`;
  const { xsId } = await insertCardUser(db.models, companyId);
  await db.models.CardApplication.create({ _id: applicationId, companyId, xsId, cardType: 'CargoCard', deliveryMethod: 'post', destination: 'abroad', status: 'active' });
  await db.models.Card.create({
    _id: cardNumber, applicationId, companyId, xsId, cardType: 'CargoCard', pinHash: 'x', status: options.status ?? 'active',
    producedAt: activatedAt, activatedAt, expiresAt,
  });
  if (options.status !== 'expired') {
    const handle = await client.workflow.start<typeof cardInUse>('cardInUse', {
      taskQueue, workflowId: cardInUseWorkflowId(cardNumber),
      args: [{ cardNumber, applicationId, companyId, customerNumber: 'C1', xsId, cardType: 'CargoCard', activatedAt: activatedAt.toISOString(), expiresAt: expiresAt.toISOString() }],
    });
    if (options.wait !== false) await eventually(() => handle.query(cardInUseStateQuery).then((s) => s.renewalWindowOpensAt !== '', () => false));
  }
  return { cardNumber, companyId, xsId, expiresAt };
}

// ---- Updates across a client timeout (first in the file: the worker is held back until it runs) -----------

describe('an Update the API gave up waiting for', () => {
  test('is answered 202 with its outcome URL and the key left open; retried with the same Idempotency-Key it returns the first outcome (also across continue-as-new), not 409', async () => {
    const { cardNumber } = await createCard({ wait: false }); // no worker polls yet: the Update is taken, never run
    const on = calendar.addDays(today(), 5);
    const body = { on, reason: 'Employee leaves', requestedBy: 'hr-1' };
    const key = { 'idempotency-key': `block-${hex(8)}` };

    const first = await hasty.api('POST', `/v1/cards/${cardNumber}/block`, body, key);
    expect(first.status).toBe(202);
    const outcomeUrl: string = first.body.outcomeUrl;
    expect(outcomeUrl).toMatch(new RegExp(`^/v1/cases/cardlife%3A${cardNumber}/updates/k-[\\w-]{32}$`));
    expect(first.headers.get('location')).toBe(outcomeUrl);
    expect(first.body).toMatchObject({ status: 'pending', workflowId: cardInUseWorkflowId(cardNumber), updateId: outcomeUrl.split('/').pop() });
    // The 202 is not kept as the key's answer: the same request waits for the same Update again.
    const again = await hasty.api('POST', `/v1/cards/${cardNumber}/block`, body, key);
    expect(again).toMatchObject({ status: 202, body: { updateId: first.body.updateId } });
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect((await hasty.api('GET', outcomeUrl)).status).toBe(202);

    // A licence renewal too, where the watch continues as new right after the change (a new run, which knows
    // the first run's answers by Update ID): started by the Update itself (update-with-start), held by no worker.
    const { companyId, licence } = await createCompany();
    const licencePath = `/v1/companies/${companyId}/transport-licence`;
    const renewal = { number: 'NIWO-2', expiresOn: calendar.addDays(licence.expiresOn, 365), documentRef: 'doc-2' };
    const renewalKey = { 'idempotency-key': `renew-${hex(8)}` };
    expect((await hasty.api('POST', licencePath, renewal, renewalKey)).status).toBe(202);

    h.runWorker();
    await eventually(async () => (await h.api('GET', licencePath)).body.licence?.number === 'NIWO-2'); // the next run
    expect(await h.api('POST', licencePath, renewal, renewalKey)).toMatchObject({ status: 200, body: { effectiveExpiresOn: renewal.expiresOn } });
    expect((await h.api('POST', licencePath, renewal, { 'idempotency-key': `renew-${hex(8)}` })).status).toBe(422); // another key: a second renewal

    const retried = await h.api('POST', `/v1/cards/${cardNumber}/block`, body, key);
    expect(retried).toMatchObject({ status: 200, body: { status: 'scheduled', block: { on, reason: 'Employee leaves' } } });
    expect(await h.api('GET', outcomeUrl)).toMatchObject({ status: 200, body: retried.body });
    const replayed = await h.api('POST', `/v1/cards/${cardNumber}/block`, body, key);
    expect(replayed).toMatchObject({ status: 200, body: retried.body });
    // Another key is another Update: that one is refused, the block being scheduled already.
    expect((await h.api('POST', `/v1/cards/${cardNumber}/block`, body, { 'idempotency-key': `block-${hex(8)}` })).status).toBe(409);
    expect((await h.api('GET', `/v1/cases/cardlife:${cardNumber}/updates/k-${'x'.repeat(32)}`)).status).toBe(404);
  });
});

// ---- cards ------------------------------------------------------------------------------

describe('/v1/cards', () => {
  beforeAll(() => h.runWorker());

  test('GET shows the card with its expiry and renewal window; unknown is 404, malformed 400', async () => {
    const { cardNumber, companyId, expiresAt } = await createCard();

    const res = await api('GET', `/v1/cards/${cardNumber}`);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      cardNumber, companyId, xsId: expect.stringMatching(/^xs_/), cardType: 'CargoCard', status: 'active',
      activatedAt: expect.any(String), expiresAt: expiresAt.toISOString(),
      renewalWindowOpensAt: calendar.renewalWindowOpensAt(expiresAt).toISOString(), expiring: false, workflowId: `cardlife:${cardNumber}`,
    });
    expect((await api('GET', '/v1/cards/XK0000000000')).status).toBe(404);
    const malformed = await api('GET', '/v1/cards/not-a-card!');
    expect(malformed.status).toBe(400);
    expect(fieldsOf(malformed)).toEqual(['cardNumber']);
  });

  test('a block for a later day is scheduled and shown, refused twice, and cancelled once', async () => {
    const { cardNumber } = await createCard();
    const on = calendar.addDays(today(), 5);

    const res = await api('POST', `/v1/cards/${cardNumber}/block`, { on, reason: 'Employee leaves', requestedBy: 'hr-1' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'scheduled', block: { on, reason: 'Employee leaves', takesEffectAt: calendar.startOfDay(on).toISOString() } });
    expect((await api('GET', `/v1/cards/${cardNumber}`)).body.scheduledBlock).toEqual({
      on, reason: 'Employee leaves', requestedBy: 'hr-1', takesEffectAt: calendar.startOfDay(on).toISOString(),
    });
    expect((await api('POST', `/v1/cards/${cardNumber}/block`, { on, reason: 'Again', requestedBy: 'hr-1' })).status).toBe(409);

    const cancelled = await api('DELETE', `/v1/cards/${cardNumber}/block`);
    expect(cancelled).toMatchObject({ status: 200, body: { on, reason: 'Employee leaves' } });
    expect((await api('GET', `/v1/cards/${cardNumber}`)).body).not.toHaveProperty('scheduledBlock');
    expect((await api('DELETE', `/v1/cards/${cardNumber}/block`)).status).toBe(409);
  });

  test('a malformed block request is 400 naming the fields; a day in the past is 422', async () => {
    const { cardNumber } = await createCard();
    const bad = await api('POST', `/v1/cards/${cardNumber}/block`, { on: '2026-02-30', reason: ' ', requestedBy: 'hr-1', extra: 1 });
    expect(bad.status).toBe(400);
    expect(fieldsOf(bad)).toEqual(['extra', 'on', 'reason']);
    expect((await api('POST', `/v1/cards/${cardNumber}/block`, undefined, '{"on": ')).status).toBe(400);

    const past = await api('POST', `/v1/cards/${cardNumber}/block`, { on: calendar.addDays(today(), -1), reason: 'Too late', requestedBy: 'hr-1' });
    expect(past.status).toBe(422);
    expect(past.body.errors).toEqual([{ field: 'on', message: expect.stringContaining('today') }]);
  });

  test('a block for today takes effect at once; then the card is blocked and refuses further requests', async () => {
    const { cardNumber, companyId } = await createCard();

    const res = await api('POST', `/v1/cards/${cardNumber}/block`, { on: today(), reason: 'Stolen', requestedBy: 'hr-2' });

    expect(res).toMatchObject({ status: 200, body: { status: 'blocked', block: { on: today() } } });
    expect((await api('GET', `/v1/cards/${cardNumber}`)).body).toMatchObject({ status: 'blocked', blockReason: 'Stolen' });
    expect((await api('POST', `/v1/cards/${cardNumber}/renewal`, { requestedBy: 'hr-2' })).status).toBe(409);
    expect((await api('DELETE', `/v1/cards/${cardNumber}/block`)).status).toBe(409);
    const mail = await eventually(async () => receiver.messages.find((m) => m.to.includes(`contact.${companyId}@haven.example`)));
    expect(mail.subject).toBe(`Die Karte ${cardNumber} ist gesperrt`);
  });

  test('renewal: 422 before the window opens and for an expired card; 201 with the new application inside the window', async () => {
    const early = await createCard();
    const refused = await api('POST', `/v1/cards/${early.cardNumber}/renewal`, { requestedBy: 'hr-3' });
    expect(refused.status).toBe(422);
    expect(refused.body.detail).toMatch(/^renewal opens on \d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);

    const expired = await createCard({ status: 'expired', expiresAt: new Date(Date.now() - DAY) });
    const tooLate = await api('POST', `/v1/cards/${expired.cardNumber}/renewal`, { requestedBy: 'hr-3' });
    expect(tooLate).toMatchObject({ status: 422, body: { detail: 'expired cards cannot be renewed; request a new card' } });

    expect((await api('POST', `/v1/cards/${early.cardNumber}/renewal`, { requestedBy: 'hr-3', deliveryMethod: 'drone' })).status).toBe(400);

    const expiring = await createCard({ expiresAt: new Date(Date.now() + 14 * DAY) });
    await eventually(async () => (await api('GET', `/v1/cards/${expiring.cardNumber}`)).body.expiring);
    const renewed = await api('POST', `/v1/cards/${expiring.cardNumber}/renewal`, { requestedBy: 'hr-3' });
    expect(renewed.status).toBe(201);
    expect(renewed.body).toMatchObject({ reason: 'renewal', requestedBy: 'hr-3', applicationId: expect.stringMatching(/^ca_[0-9a-f]{32}$/) });
    expect(renewed.headers.get('location')).toBe(`/v1/card-applications/${renewed.body.applicationId}`);
    const child = await client.workflow.getHandle(renewed.body.workflowId).describe();
    expect(child.type).toBe('cardApplication');
    expect(await db.models.CardApplication.findById(renewed.body.applicationId).lean()).toMatchObject({
      deliveryMethod: 'post', destination: 'abroad', replaces: { cardNumber: expiring.cardNumber, reason: 'renewal' },
    });
    expect((await api('POST', `/v1/cards/${expiring.cardNumber}/renewal`, { requestedBy: 'hr-3' })).status).toBe(409);
  });

  test('a renewal and a lost card\'s replacement check the preconditions of a new application, with the same 422: expired identity document, contract not approved, no CargoCard request, lapsed licence', async () => {
    const renew = (n: string) => api('POST', `/v1/cards/${n}/renewal`, { requestedBy: 'hr-5' });
    const lose = (n: string) => api('POST', `/v1/cards/${n}/loss`, { reason: 'Lost', requestedBy: 'hr-5', deliveryMethod: 'pickup', destination: 'NL' });
    const soon = new Date(Date.now() + 14 * DAY);
    const cases: [string, () => Promise<{ cardNumber: string }>, string][] = [
      ['identity document expired', async () => {
        const card = await createCard({ expiresAt: soon });
        await db.models.CardUser.updateOne({ _id: card.xsId }, { $set: { 'identityDocument.expiresOn': '2020-01-01' } });
        return card;
      }, 'xsId'],
      ['contract terminated', async () => {
        const card = await createCard({ expiresAt: soon });
        await db.models.Company.updateOne({ _id: card.companyId }, { $set: { 'contract.status': 'terminated' } });
        return card;
      }, 'companyId'],
      ['no CargoCard request', () => createCard({ expiresAt: soon, company: { requestsCargoCards: false } }), 'cardType'],
      ['licence lapsed', async () => {
        const card = await createCard({ expiresAt: soon });
        await db.models.Company.updateOne({ _id: card.companyId }, { $set: { 'transportLicence.expiresOn': '2020-01-01' }, $unset: { 'transportLicence.bridgingUntil': 1 } });
        return card;
      }, 'cardType'],
    ];
    for (const [name, make, field] of cases) {
      const { cardNumber } = await make();
      await eventually(async () => (await api('GET', `/v1/cards/${cardNumber}`)).body.expiring);
      for (const [what, res] of [['renewal', await renew(cardNumber)], ['loss', await lose(cardNumber)]] as const) {
        expect({ name, what, status: res.status, fields: fieldsOf(res) }).toEqual({ name, what, status: 422, fields: expect.arrayContaining([field]) });
        expect(res.body.detail).toContain('the application breaks a rule of the card process');
      }
      // Nothing was done: no replacement, and the card is still in use (a lost one must be blocked on its own).
      expect((await api('GET', `/v1/cards/${cardNumber}`)).body.status).toBe('active');
      expect(await db.models.CardApplication.countDocuments({ 'replaces.cardNumber': cardNumber })).toBe(0);
    }
  });

  test('a loss report starts the replacement, blocks the card and answers 201; malformed is 400', async () => {
    const { cardNumber } = await createCard();
    const bad = await api('POST', `/v1/cards/${cardNumber}/loss`, { reason: 'Lost', requestedBy: 'hr-4', deliveryMethod: 'drone' });
    expect(bad.status).toBe(400);
    expect(fieldsOf(bad)).toEqual(['deliveryMethod', 'destination']);

    const res = await api('POST', `/v1/cards/${cardNumber}/loss`, { reason: 'Lost', requestedBy: 'hr-4', deliveryMethod: 'pickup', destination: 'NL' });

    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ replacement: { reason: 'lost', applicationId: expect.stringMatching(/^ca_/) }, blockedAt: expect.any(String) });
    expect((await client.workflow.getHandle(res.body.replacement.workflowId).describe()).type).toBe('cardApplication');
    expect((await api('GET', `/v1/cards/${cardNumber}`)).body).toMatchObject({ status: 'blocked', blockReason: 'lost: Lost' });
    expect((await api('POST', `/v1/cards/${cardNumber}/loss`, { reason: 'Lost', requestedBy: 'hr-4', deliveryMethod: 'pickup', destination: 'NL' })).status).toBe(409);
  });
});

// ---- transport licence ------------------------------------------------------------------

describe('/v1/companies/:companyId/transport-licence and licence-watch', () => {
  beforeAll(() => h.runWorker());

  test('a renewal with no watch running starts the watch with it (update-with-start); one that may not run is 409', async () => {
    const { companyId, licence } = await createCompany();
    const path = `/v1/companies/${companyId}/transport-licence`;
    const expiresOn = calendar.addDays(licence.expiresOn, 365);
    const renewed = await api('POST', path, { number: 'NIWO-2', expiresOn, documentRef: 'doc-2' });
    expect(renewed).toMatchObject({ status: 200, body: { effectiveExpiresOn: expiresOn } });
    const after = await eventually(async () => {
      const r = await api('GET', path);
      return r.body.licence?.number === 'NIWO-2' && r;
    });
    expect(after.body).toMatchObject({ phase: 'watching', effectiveExpiresOn: expiresOn });
    const pending = await createCompany({ contract: 'pending' });
    expect((await api('POST', `/v1/companies/${pending.companyId}/transport-licence`, { number: 'NIWO-2', expiresOn, documentRef: 'doc-2' })).status).toBe(409);
  });

  test('the watch starts only for an approved company with CargoCards, once', async () => {
    expect((await api('POST', '/v1/companies/co_unknown0000/licence-watch')).status).toBe(404);
    expect((await api('POST', '/v1/companies/nope/licence-watch')).status).toBe(400);
    const noCargo = await createCompany({ requestsCargoCards: false });
    expect((await api('POST', `/v1/companies/${noCargo.companyId}/licence-watch`)).status).toBe(422);
    const pending = await createCompany({ contract: 'pending' });
    expect((await api('POST', `/v1/companies/${pending.companyId}/licence-watch`)).status).toBe(409);

    const { companyId } = await createCompany();
    const started = await api('POST', `/v1/companies/${companyId}/licence-watch`);
    expect(started).toMatchObject({ status: 201, body: { workflowId: `licence:${companyId}`, started: true } });
    const again = await api('POST', `/v1/companies/${companyId}/licence-watch`);
    expect(again).toMatchObject({ status: 200, body: { started: false } });
    const described = await client.workflow.getHandle(licenceWatchWorkflowId(companyId)).describe();
    expect(described.searchAttributes).toMatchObject({ CompanyId: [companyId] });
  });

  test('GET shows the licence and when the warning and the block are due; 404 without a watch', async () => {
    const { companyId, licence } = await createCompany();
    expect((await api('GET', `/v1/companies/${companyId}/transport-licence`)).status).toBe(404);
    await api('POST', `/v1/companies/${companyId}/licence-watch`);

    const res = await eventually(async () => {
      const r = await api('GET', `/v1/companies/${companyId}/transport-licence`);
      return r.status === 200 && r;
    });
    const plan = calendar.licencePlan(licence.expiresOn);
    expect(res.body).toEqual({
      companyId, phase: 'watching', licence, effectiveExpiresOn: licence.expiresOn,
      warnAt: plan.warnAt.toISOString(), blockAt: plan.blockAt.toISOString(), workflowId: `licence:${companyId}`,
    });
  });

  test('a renewal is validated, recorded and re-plans the watch; a bridging period moves the effective expiry', async () => {
    const { companyId, licence } = await createCompany();
    const path = `/v1/companies/${companyId}/transport-licence`;
    await api('POST', `/v1/companies/${companyId}/licence-watch`);
    await eventually(async () => (await api('GET', path)).status === 200);

    const malformed = await api('POST', path, { number: '', expiresOn: '2027-13-01', documentRef: 'doc-2', note: 'x' });
    expect(malformed.status).toBe(400);
    expect(fieldsOf(malformed)).toEqual(['expiresOn', 'note', 'number']);
    const notLater = await api('POST', path, { number: 'NIWO-2', expiresOn: licence.expiresOn, documentRef: 'doc-2' });
    expect(notLater.status).toBe(422);
    expect(notLater.body.errors).toEqual([{ field: 'expiresOn', message: expect.stringContaining(licence.expiresOn) }]);

    const expiresOn = calendar.addDays(licence.expiresOn, 365);
    const renewed = await api('POST', path, { number: 'NIWO-2', expiresOn, documentRef: 'doc-2' });
    expect(renewed).toMatchObject({ status: 200, body: { effectiveExpiresOn: expiresOn, blockAt: calendar.licencePlan(expiresOn).blockAt.toISOString() } });
    const after = await eventually(async () => {
      const r = await api('GET', path);
      return r.body.licence?.number === 'NIWO-2' && r;
    });
    expect(after.body).toMatchObject({ phase: 'watching', licence: { number: 'NIWO-2', expiresOn, documentRef: 'doc-2' } });

    const tooShort = await api('POST', `${path}/bridging`, { until: expiresOn, proofRef: 'proof-1' });
    expect(tooShort.status).toBe(422);
    expect((await api('POST', `${path}/bridging`, { until: 'soon', proofRef: '' })).status).toBe(400);
    const until = calendar.addDays(expiresOn, 30);
    const bridged = await api('POST', `${path}/bridging`, { until, proofRef: 'proof-1' });
    expect(bridged).toMatchObject({ status: 200, body: { effectiveExpiresOn: until } });
    await eventually(async () => (await api('GET', path)).body.effectiveExpiresOn === until);
    expect((await db.models.Company.findById(companyId).lean())?.transportLicence).toMatchObject({ bridgingUntil: until, bridgingProofRef: 'proof-1' });
    const state = await client.workflow.getHandle(licenceWatchWorkflowId(companyId)).query(licenceStateQuery);
    expect(state?.licence).toMatchObject({ number: 'NIWO-2', bridgingUntil: until });
  });

  test('GET /openapi.json documents the card and licence paths', async () => {
    const res = await api('GET', '/openapi.json');
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/cards/{cardNumber}', '/v1/cards/{cardNumber}/block', '/v1/cards/{cardNumber}/renewal', '/v1/cards/{cardNumber}/loss',
        '/v1/companies/{companyId}/licence-watch', '/v1/companies/{companyId}/transport-licence', '/v1/companies/{companyId}/transport-licence/bridging',
      ]),
    );
    expect(res.body.paths['/v1/cards/{cardNumber}/block'].delete.operationId).toBe('cancelCardBlock');
  });
});
