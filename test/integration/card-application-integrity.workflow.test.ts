/**
 * Process integrity of the card application (PROCESSES.md sections 2 and 4):
 * every rule holds on every path that reaches a card, not only on the main one.
 * Over HTTP, on the Java time-skipping server with every real workflow (the
 * card application, its pickup hold, the licence watch, the card in use), a
 * fresh FerretDB database and a real SMTP receiver.
 */
import { LOCAL_API_KEYS } from '../../config/api-keys';
import { BusinessCalendar, type IsoDay } from '../../domain/calendar';
import { DEFAULT_RULES, type LocalTime } from '../../domain/rules';
import type { reconciliation } from '../../workflows';
import { cardApplicationWorkflowId, licenceStateQuery, licenceWatchWorkflowId, pickupHoldWorkflowId, type ReconciliationResult } from '../../workflows/definitions';
import { startApp, type Api, type AppServer } from '../support/api-harness';
import { hex, insertCardUser, insertCompany, newCardNumber } from '../support/fixtures';
import { recordHistory } from '../support/histories';
import { eventually } from '../support/servers';
import { useWorkflowHarness } from '../support/workflow-harness';

const calendar = new BusinessCalendar(DEFAULT_RULES);
const MINUTE = 60_000;

let app: AppServer;
let api: Api;

const h = useWorkflowHarness();
beforeAll(async () => {
  app = await startApp({ db: h.db, client: h.env.client, taskQueue: h.taskQueue });
  ({ api } = app);
});

afterAll(() => app?.close()); // the harness closes itself (useWorkflowHarness)

// ---- helpers ------------------------------------------------------------------------

const at = (day: IsoDay, time: LocalTime) => calendar.atLocalTime(day, time).getTime();
const sleepUntil = (ms: number) => h.sleepUntil(new Date(ms));
const serverToday = async () => calendar.dayOf(await h.now());
const mailsTo = (address: string, subject: RegExp) => h.receiver.messages.filter((m) => m.to.includes(address) && subject.test(m.subject));
const application = async (id: string) => (await api('GET', `/v1/card-applications/${id}`)).body;
const cardStatus = async (cardNumber: string) => (await h.db.models.Card.findById(cardNumber).lean())?.status;
const workflowStatus = async (workflowId: string) => (await h.client.workflow.getHandle(workflowId).describe()).status.name;

/** The first Wednesday that is a working day, with a working Tuesday before it, at least `days` ahead. */
function wednesdayAfter(from: IsoDay, days: number): IsoDay {
  let d = calendar.addDays(from, days);
  while (new Date(`${d}T12:00:00Z`).getUTCDay() !== 3 || !calendar.isWorkingDay(d) || !calendar.isWorkingDay(calendar.addDays(d, -1))) {
    d = calendar.addDays(d, 1);
  }
  return d;
}

async function apply(companyId: string, cardType: string, deliveryMethod: string): Promise<{ applicationId: string; xsId: string }> {
  const { xsId } = await insertCardUser(h.db.models, companyId);
  const res = await api('POST', '/v1/card-applications', { companyId, xsId, cardType, deliveryMethod });
  expect(res.status).toBe(201);
  return { applicationId: res.body.applicationId, xsId };
}

async function approveBoth(applicationId: string, xsId: string) {
  const path = `/v1/card-applications/${applicationId}/approvals`;
  expect((await api('POST', path, { by: 'back-office', approvedBy: 'bo-1' })).status).toBe(200);
  return api('POST', path, { by: 'card-user', approvedBy: xsId });
}

/** The PIN the company contact received for a card (the activation below uses the right one). */
function pinOf(contact: string, cardNumber: string): string {
  const mail = mailsTo(contact, /^PIN code for card/).find((m) => m.subject.includes(cardNumber));
  return /PIN code is:\s*(\d{4})/.exec(mail!.text)![1]!;
}

// ---- 1. A terminated company's CargoCards: nothing produced, handed over or activated ---------------

test('when the licence watch terminates the contract, every open CargoCard application in every phase is cancelled with an email, its card blocked, and every action answers 409 with the reason', async () => {
  const E = wednesdayAfter(await serverToday(), 10);
  const D = calendar.addDays(E, -1);
  const { companyId, contact } = await insertCompany(h.db.models, { transportLicence: { expiresOn: E  }});

  // One application per phase the block can find it in.
  const a = await apply(companyId, 'CargoCard', 'post'); // awaiting approvals
  // Point 2 by construction: applying for a CargoCard makes sure the company's licence watch runs.
  await eventually(async () => (await workflowStatus(licenceWatchWorkflowId(companyId)).catch(() => undefined)) === 'RUNNING');
  const b = await apply(companyId, 'CargoCard', 'post'); // shipped, not yet activated
  const c = await apply(companyId, 'CargoCard', 'pickup'); // held for pickup
  const d = await apply(companyId, 'CargoCard', 'pickup'); // collected, not yet activated
  const e = await apply(companyId, 'CargoCard', 'post'); // approved on E after the cut-off: awaiting production at the block

  await approveBoth(b.applicationId, b.xsId);
  await approveBoth(d.applicationId, d.xsId);
  const dPlan = (await eventually(async () => (await application(d.applicationId)).plan)) as { pickupFrom: string };
  await sleepUntil(Date.parse(dPlan.pickupFrom) + MINUTE);
  await eventually(async () => (await application(d.applicationId)).status === 'held-for-pickup');
  expect((await api('POST', `/v1/card-applications/${d.applicationId}/pickup`, { collectedBy: 'Anna de Vries' })).status).toBe(200);
  await sleepUntil(at(D, '09:00'));
  await approveBoth(c.applicationId, c.xsId);
  await sleepUntil(at(E, '14:00'));
  await approveBoth(e.applicationId, e.xsId);
  // The record follows the workflow's phase a moment after the approval's answer.
  await eventually(async () => (await application(e.applicationId)).status === 'awaiting-production');

  const before = Object.fromEntries(
    await Promise.all(Object.entries({ a, b, c, d, e }).map(async ([k, v]) => [k, (await application(v.applicationId)).status])),
  );
  expect(before).toEqual({ a: 'awaiting-approvals', b: 'shipped', c: 'held-for-pickup', d: 'collected', e: 'awaiting-production' });
  const cards = {
    b: (await application(b.applicationId)).cardNumber as string,
    c: (await application(c.applicationId)).cardNumber as string,
    d: (await application(d.applicationId)).cardNumber as string,
  };

  // 00:00 after E: the watch blocks, terminates, and cancels.
  await sleepUntil(at(calendar.addDays(E, 1), '00:00') + 2 * MINUTE);
  const all = { a, b, c, d, e };
  for (const [k, v] of Object.entries(all)) {
    const app = await eventually(async () => {
      const r = await application(v.applicationId);
      return r.status === 'cancelled' && r;
    });
    expect({ k, reason: app.cancellationReason }).toEqual({ k, reason: expect.stringContaining('contract was terminated') });
    expect(await h.client.workflow.getHandle(cardApplicationWorkflowId(v.applicationId)).result()).toMatchObject({ outcome: 'cancelled' });
  }
  for (const n of Object.values(cards)) expect(await cardStatus(n)).toBe('blocked');
  expect(await workflowStatus(pickupHoldWorkflowId(c.applicationId))).toBe('CANCELLED');
  expect(await h.db.models.Card.countDocuments({ applicationId: e.applicationId })).toBe(0); // never produced

  // One cancellation email per application, saying why; none twice.
  await eventually(async () => mailsTo(contact, /was cancelled/).length >= 5);
  await new Promise((r) => setTimeout(r, 500));
  const cancelled = mailsTo(contact, /was cancelled/);
  expect(cancelled.map((m) => m.subject.match(/\((ca_\w+)\)/)![1]).sort()).toEqual(Object.values(all).map((v) => v.applicationId).sort());
  for (const m of cancelled) expect(m.text).toContain('contract was terminated');

  // Every action on every cancelled application: 409, naming the cancellation and its reason.
  const asCustomerService = { authorization: `Bearer ${LOCAL_API_KEYS['customer-service']}` };
  for (const [k, v] of Object.entries(all)) {
    const path = `/v1/card-applications/${v.applicationId}`;
    const card = cards[k as keyof typeof cards];
    const actions: [string, Record<string, unknown>, Record<string, string>?][] = [
      ['approvals', { by: 'card-user', approvedBy: v.xsId }],
      ['approvals', { by: 'back-office', approvedBy: 'bo-2' }],
      ['approvals', { by: 'service-point', approvedBy: 'sp-1' }],
      ['convert-to-urgent', {}],
      ['collector', { name: 'Kees Collector' }],
      ['pickup', { collectedBy: 'Anna de Vries' }],
      ['activation', { pin: card ? pinOf(contact, card) : '4711' }],
      ['pin', { requestedBy: 'cs-1' }, asCustomerService],
    ];
    for (const [step, body, headers] of actions) {
      const res = await api('POST', `${path}/${step}`, body, headers);
      expect({ k, step, status: res.status, detail: res.body.detail }).toEqual({
        k, step, status: 409, detail: expect.stringMatching(/cancelled on .*contract was terminated/),
      });
    }
  }
  await recordHistory(h.client.workflow.getHandle(cardApplicationWorkflowId(c.applicationId)), 'card-application-held-cancelled-on-termination');
  await recordHistory(h.client.workflow.getHandle(licenceWatchWorkflowId(companyId)), 'licence-watch-block-cancels-applications');
});

// ---- 4. Rules re-checked at approval and before production --------------------------------------

test('an identity document that expires before the approvals stops the application at approval: cancelled, the company told why, no card', async () => {
  const { companyId, contact } = await insertCompany(h.db.models);
  const { applicationId, xsId } = await apply(companyId, 'PortKey', 'post');
  const expiresOn = calendar.addDays(await serverToday(), 1);
  await h.db.models.CardUser.updateOne({ _id: xsId }, { $set: { 'identityDocument.expiresOn': expiresOn } });
  await sleepUntil(at(calendar.addDays(expiresOn, 2), '10:00'));

  const second = await approveBoth(applicationId, xsId);
  expect(second.status).toBe(409);
  expect(second.body.detail).toContain(`identity document expired on ${expiresOn}`);
  expect(await application(applicationId)).toMatchObject({ status: 'cancelled', cancellationReason: expect.stringContaining('checked at approval') });
  expect(await h.db.models.Card.countDocuments({ applicationId })).toBe(0);
  const [mail] = await eventually(async () => mailsTo(contact, /was cancelled/).length === 1 && mailsTo(contact, /was cancelled/));
  expect(mail!.text).toContain(`identity document expired on ${expiresOn}`);
  expect(mail!.text).toContain('No card was produced');
  await recordHistory(h.client.workflow.getHandle(cardApplicationWorkflowId(applicationId)), 'card-application-cancelled-at-approval');
});

test('a contract terminated between approval and production stops the application before production', async () => {
  const { companyId, contact } = await insertCompany(h.db.models);
  const { applicationId, xsId } = await apply(companyId, 'DigitalSafetyPassport', 'post');
  const day = calendar.nextWorkingDay(await serverToday());
  await sleepUntil(at(day, '14:00')); // after the 13:00 cut-off: produced on the next working day
  expect((await approveBoth(applicationId, xsId)).status).toBe(200);
  // The record follows the workflow's phase a moment after the approval's answer.
  await eventually(async () => (await application(applicationId)).status === 'awaiting-production');
  await h.db.models.Company.updateOne({ _id: companyId }, { $set: { 'contract.status': 'terminated' } });

  await sleepUntil(at(calendar.nextWorkingDay(day), '23:00'));
  const r = await eventually(async () => {
    const x = await application(applicationId);
    return x.status === 'cancelled' && x;
  });
  expect(r.cancellationReason).toMatch(/checked at production: the company's contract is terminated/);
  expect(r.cardNumber).toBeUndefined();
  expect(await h.db.models.Card.countDocuments({ applicationId })).toBe(0);
  await eventually(async () => mailsTo(contact, /was cancelled/).length === 1);
});

// ---- 2. Whoever holds a CargoCard is watched ---------------------------------------------------------

test('a company that holds a CargoCard without having requested them is watched: the nightly reconciliation starts its watch, which plans from its licence', async () => {
  const expiresOn = calendar.addDays(await serverToday(), 200);
  const { companyId } = await insertCompany(h.db.models, { transportLicence: { expiresOn: expiresOn }, requestsCargoCards: false });
  const now = await h.now();
  await h.db.models.Card.create({
    _id: newCardNumber(), applicationId: `ca_${hex(16)}`, companyId, xsId: `xs_${hex(12)}`, cardType: 'CargoCard', pinHash: 'x',
    status: 'active', producedAt: now, activatedAt: now, expiresAt: calendar.cardExpiresAt(now),
  });
  // The rule at the door stays: without the request no new CargoCard application is taken.
  const { xsId } = await insertCardUser(h.db.models, companyId);
  const refused = await api('POST', '/v1/card-applications', { companyId, xsId, cardType: 'CargoCard', deliveryMethod: 'post' });
  expect(refused.status).toBe(422);

  const run = await h.client.workflow.start<typeof reconciliation>('reconciliation', {
    taskQueue: h.taskQueue, workflowId: `reconciliation-${hex(6)}`, args: [{}],
  });
  const result = (await run.result()) as ReconciliationResult;
  expect(result.counts['licence-watches'].started).toBeGreaterThanOrEqual(1);
  const watch = h.client.workflow.getHandle(licenceWatchWorkflowId(companyId));
  expect((await watch.describe()).status.name).toBe('RUNNING');
  const state = await eventually(() => watch.query(licenceStateQuery).then((s) => s ?? undefined));
  expect(state.effectiveExpiresOn).toBe(expiresOn);
});
