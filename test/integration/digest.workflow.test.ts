/**
 * The monthly digest and the nightly reconciliation on the Java time-skipping
 * test server: a real Worker with the real activities, a fresh database on the
 * real FerretDB with a few hundred companies inserted directly, and a real SMTP
 * receiver that counts what crossed the wire.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { BusinessCalendar } from '../../domain/calendar';
import { planDelivery } from '../../domain/card-delivery';
import { periodOf } from '../../domain/digest';
import { DEFAULT_RULES } from '../../domain/rules';
import type { monthlyDigest, reconciliation } from '../../workflows';
import {
  digestProgressQuery,
  digestWorkflowId,
  FailureType,
  licenceWatchWorkflowId,
  pickupHoldWorkflowId,
  type DigestBatching,
} from '../../workflows/definitions';
import { recordHistory } from '../support/histories';
import { eventually, uniqueName } from '../support/servers';
import { freshAttempt, useWorkflowHarness } from '../support/workflow-harness';

const DAY = 86_400_000;
const COMPANIES = 300;
/** Pages of 20, two pages per run: the run continues as new every 40 companies. */
const SMALL: DigestBatching = { pageSize: 20, maxInFlight: 10, pagesPerRun: 2 };
const calendar = new BusinessCalendar(DEFAULT_RULES);

const h = useWorkflowHarness();
beforeAll(async () => {
  await insertCompanies();
}, 180_000);

// ---- the companies ---------------------------------------------------------------

const companyId = (i: number) => `co_digest${String(i).padStart(5, '0')}`;
const contactOf = (i: number) => `contact-${i}@digest.example`;
const languageOf = (i: number) => (i % 2 === 0 ? 'en' : 'de');
const statusOf = (i: number) => (i % 10 === 0 ? 'pending' : i % 23 === 5 ? 'rejected' : 'approved');

/** Which open items company i has; every company also has things that are not open items. */
function itemsOf(i: number) {
  if (statusOf(i) === 'rejected') return { held: true }; // not in the digest at all: no contract to speak of
  return {
    pendingContract: statusOf(i) === 'pending',
    held: i % 7 === 0,
    application: i % 11 === 0,
    expiring: i % 13 === 0,
    expired: i % 19 === 0,
    licence: i % 17 === 0 && statusOf(i) === 'approved',
  };
}
const hasItems = (i: number) => statusOf(i) !== 'rejected' && Object.values(itemsOf(i)).some(Boolean);
const all = Array.from({ length: COMPANIES }, (_, i) => i);
const withItems = all.filter(hasItems);
const withoutItems = all.filter((i) => statusOf(i) !== 'rejected' && !hasItems(i));

async function insertCompanies(): Promise<void> {
  const now = Date.now();
  const day = (offsetDays: number) => calendar.dayOf(new Date(now + offsetDays * DAY));
  const companies: object[] = [];
  const users: object[] = [];
  const cards: object[] = [];
  const applications: object[] = [];
  for (const i of all) {
    const id = companyId(i);
    const items = itemsOf(i);
    companies.push({
      _id: id,
      name: `Haven ${i} B.V.`,
      kvkNumber: String(10_000_000 + i),
      vatId: `NL${100_000_000 + i}B01`,
      registrationKey: `${10_000_000 + i}:NL${100_000_000 + i}B01`,
      kvkExtract: { documentRef: 'doc-kvk', issuedOn: day(-30) },
      signatory: { name: 'Anna de Vries', email: `signatory-${i}@digest.example` },
      contact: { name: 'Jan Jansen', email: contactOf(i), language: languageOf(i) },
      requestsCargoCards: true,
      // A licence is an open item only within the renewal window before its expiry.
      transportLicence: { number: `NIWO-${i}`, expiresOn: items.licence ? day(20) : day(400), documentRef: 'doc-licence' },
      customerNumber: `C${100_000 + i}`,
      contract: { status: statusOf(i), submittedAt: new Date(now - 2 * DAY), dueAt: new Date(now + DAY) },
    });
    const xsId = `xs_digest${i}`;
    users.push({
      _id: xsId, companyId: id, firstName: 'Piet', lastName: `Bakker-${i}`, email: `user-${i}@digest.example`, language: 'en',
      identityDocument: { kind: 'passport', number: `P${i}`, expiresOn: day(1000) },
    });
    const card = (n: string, status: string, expiresInDays: number | null) =>
      cards.push({
        _id: `XS${i}${n}`, applicationId: `ap_digest${i}${n}`, companyId: id, xsId, cardType: 'CargoCard', pinHash: 'x', status,
        producedAt: new Date(now - 3 * DAY), ...(expiresInDays === null ? {} : { expiresAt: new Date(now + expiresInDays * DAY) }),
      });
    // Not open items: an active card far from expiry, a blocked expired one, an activated application.
    if (i % 3 === 0) card('a', 'active', 900);
    if (i % 3 === 1) card('b', 'blocked', -5);
    const application = (appId: string, status: string, extra: Record<string, unknown> = {}) =>
      applications.push({ _id: appId, companyId: id, xsId, cardType: 'CargoCard', deliveryMethod: 'pickup', destination: 'NL', status, submittedAt: new Date(now - 4 * DAY), ...extra });
    if (i % 3 === 2) application(`ap_done${i}`, 'active', { approvedAt: new Date(now - 3 * DAY), cardNumber: `XS${i}a` });
    if (items.held) {
      card('h', 'held', null);
      application(`ap_digest${i}h`, 'held-for-pickup', { approvedAt: new Date(now - 2 * DAY), cardNumber: `XS${i}h`, plan: planDelivery(calendar, { approvedAt: new Date(now - 2 * DAY), method: 'pickup', destination: 'NL' }) });
    }
    if (items.expiring) card('e', 'active', 10);
    if (items.expired) card('x', 'active', -10);
    if (items.application) application(`ap_wait${i}`, 'awaiting-approvals', { cardUserApprovedAt: new Date(now - DAY) });
  }
  const m = h.db.models;
  await Promise.all([m.Company.insertMany(companies), m.CardUser.insertMany(users), m.Card.insertMany(cards), m.CardApplication.insertMany(applications)]);
}

const mailsTo = (i: number) => h.receiver.messages.filter((m) => m.to.includes(contactOf(i)));
const digestMails = (period: string) => h.receiver.messages.filter((m) => String(m.headers.get('x-xs-outbox-key') ?? '').endsWith(`:${period}`));

function startDigest(period: string, batching: Partial<DigestBatching> = SMALL, workflowId = digestWorkflowId(period)) {
  return h.client.workflow.start<typeof monthlyDigest>('monthlyDigest', { taskQueue: h.taskQueue, workflowId, args: [{ period, batching }] });
}

// ---- the digest ---------------------------------------------------------------------

// About 40 s a test on an idle machine; a machine shared with a benchmark took over 120 s.
jest.setTimeout(10 * 60_000);

describe('monthly digest', () => {
  test('a run stopped midway and started again mails each company with open items exactly once, none without; small pages continue as new', async () => {
    const stopped = await startDigest('2026-01');
    const partial = await eventually(async () => {
      const p = await stopped.query(digestProgressQuery).catch(() => undefined);
      return p && p.sent > 0 ? p : undefined;
    });
    expect(partial).toMatchObject({ period: '2026-01', runs: 1 });
    await stopped.terminate('simulated crash');

    const handle = await startDigest('2026-01');
    const result = await handle.result();
    expect(result).toMatchObject({ period: '2026-01', workflowId: 'digest:2026-01', outcome: 'done' });
    const progress = result.progress!;
    expect(progress.alreadySent).toBeGreaterThan(0);
    expect(progress.sent + progress.alreadySent).toBe(withItems.length);
    expect(progress).toMatchObject({
      skippedEmpty: withoutItems.length,
      failed: 0,
      estimatedTotal: withItems.length + withoutItems.length,
      pages: Math.ceil((withItems.length + withoutItems.length) / SMALL.pageSize),
    });
    expect(progress.runs).toBeGreaterThanOrEqual(4);
    // The first run of the chain: two pages, then continue-as-new.
    await recordHistory(h.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId), 'monthly-digest-pages');

    await eventually(async () => digestMails('2026-01').length >= withItems.length);
    expect(digestMails('2026-01')).toHaveLength(withItems.length);
    for (const i of withItems) expect({ i, mails: mailsTo(i).length }).toEqual({ i, mails: 1 });
    for (const i of all.filter((i) => !hasItems(i))) expect({ i, mails: mailsTo(i).length }).toEqual({ i, mails: 0 });
  });

  test('the email lists the items in the contact language', async () => {
    const en = mailsTo(0)[0]!; // pending contract, held card, application, expiring, expired card
    expect(en.subject).toBe('XS-Key: your open items for January 2026 (5)');
    expect(en.text).toContain('Your registration of');
    expect(en.text).toContain('Cards ready for pickup at the service point (1):\n- CargoCard XS0h for Piet Bakker-0');
    expect(en.text).toContain("Card applications waiting for a decision or an approval (1):\n- CargoCard for Piet Bakker-0 (application ap_wait0");
    expect(en.text).toContain('waiting for our approval');
    expect(en.text).toContain('Cards expiring soon: renew them now (1):\n- CargoCard XS0e');
    expect(en.text).toContain('Expired cards: request a new card (1):\n- CargoCard XS0x');
    expect(en.text).not.toContain('XS0a'); // active, far from expiry

    const de = mailsTo(17)[0]!; // licence only
    expect(de.subject).toBe('XS-Key: Ihre offenen Punkte für Januar 2026 (1)');
    expect(de.text).toContain('Ihre Transportlizenz NIWO-17 ist gültig bis');
  });

  test('a second run for a month already mailed mails nobody again', async () => {
    const before = h.receiver.messages.length;
    const result = await (await startDigest('2026-01', { pageSize: 50, maxInFlight: 20 })).result();
    expect(result).toMatchObject({ workflowId: 'digest:2026-01', outcome: 'done', progress: { sent: 0, alreadySent: withItems.length } });
    expect(h.receiver.messages.length).toBe(before);
  });

  test("a scheduled firing (no period) leaves the month to its run digest:<period> when that is busy", async () => {
    // A firing mails only inside the month's window: on a day before this month's first Wednesday, move the clock there.
    let now = await h.now();
    const period = periodOf(now, calendar);
    const { opensAt } = calendar.digestWindow(Number(period.slice(0, 4)), Number(period.slice(5)));
    if (now < opensAt) await h.env.sleep(opensAt.getTime() - now.getTime() + 60_000);
    now = await h.now();
    expect(periodOf(now, calendar)).toBe(period);
    // The month's run exists but no worker polls its queue: it stays busy.
    const busy = await h.client.workflow.start<typeof monthlyDigest>('monthlyDigest', {
      taskQueue: uniqueName('nobody-polls'),
      workflowId: digestWorkflowId(period),
      args: [{ period }],
    });
    const firing = await h.client.workflow.start<typeof monthlyDigest>('monthlyDigest', { taskQueue: h.taskQueue, workflowId: uniqueName('monthly-digest'), args: [{}] });
    expect(await firing.result()).toEqual({ period, workflowId: digestWorkflowId(period), outcome: 'already-running', progress: null });
    expect(digestMails(period)).toHaveLength(0);
    await busy.terminate('test over');
    await recordHistory(firing, 'monthly-digest-scheduled-busy');
  });

  test('the activity re-run for a company mails once', async () => {
    const run = (i: number, period: string) =>
      new MockActivityEnvironment(freshAttempt(), { logger: new DefaultLogger('ERROR') }).run(h.activities.sendCompanyDigest, { companyId: companyId(i), period });
    const i = withItems[1]!;
    expect(await run(i, '2025-11')).toBe('sent');
    expect(await run(i, '2025-11')).toBe('already-sent');
    expect(await run(withoutItems[0]!, '2025-11')).toBe('skipped-empty');
    await eventually(async () => digestMails('2025-11').length > 0);
    expect(digestMails('2025-11')).toHaveLength(1);
    expect(digestMails('2025-11')[0]!.to).toEqual([contactOf(i)]);
  });

  test('a month that has not begun is refused', async () => {
    const future = calendar.addDays(calendar.dayOf(new Date()), 40).slice(0, 7);
    const err = await (await startDigest(future)).result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(((err as WorkflowFailedError).cause as ApplicationFailure).type).toBe(FailureType.BusinessRule);
    expect(digestMails(future)).toHaveLength(0);
  });
});

// ---- the reconciliation ---------------------------------------------------------------

describe('nightly reconciliation', () => {
  const watched = all.filter((i) => statusOf(i) === 'approved');
  const held = all.filter((i) => itemsOf(i).held);

  test('starts every missing licence watch and pickup hold; a second night finds them running', async () => {
    const first = await h.client.workflow.execute<typeof reconciliation>('reconciliation', {
      taskQueue: h.taskQueue,
      workflowId: uniqueName('nightly-reconciliation'),
      args: [{ pageSize: 50, pagesPerRun: 2 }],
    });
    expect(first.counts['licence-watches']).toEqual({ checked: watched.length, running: 0, started: watched.length, restarted: 0, completed: 0 });
    expect(first.counts['pickup-holds']).toEqual({ checked: held.length, running: 0, started: held.length, restarted: 0, completed: 0 });

    const watch = await h.client.workflow.getHandle(licenceWatchWorkflowId(companyId(watched[0]!))).describe();
    expect(watch).toMatchObject({ type: 'licenceWatch', taskQueue: h.taskQueue, status: { name: 'RUNNING' } });
    const hold = await h.client.workflow.getHandle(pickupHoldWorkflowId(`ap_digest${held[0]}h`)).describe();
    expect(hold).toMatchObject({ type: 'pickupHold', status: { name: 'RUNNING' } });

    // One watch was terminated: the next night starts it again.
    await h.client.workflow.getHandle(licenceWatchWorkflowId(companyId(watched[1]!))).terminate('lost');
    const handle = await h.client.workflow.start<typeof reconciliation>('reconciliation', { taskQueue: h.taskQueue, workflowId: uniqueName('nightly-reconciliation'), args: [{}] });
    const second = await handle.result();
    expect(second.counts['licence-watches']).toEqual({ checked: watched.length, running: watched.length - 1, started: 0, restarted: 1, completed: 0 });
    expect(second.counts['pickup-holds']).toMatchObject({ checked: held.length, running: held.length, started: 0 });
    await recordHistory(handle, 'reconciliation');
  });
});
