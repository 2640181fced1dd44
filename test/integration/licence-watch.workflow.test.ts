/**
 * The transport-licence watch (PROCESSES.md section 4) on the Java
 * time-skipping test server: the real `licenceWatch` and `cardInUse`
 * workflows and activities, a fresh database on the real FerretDB and a real
 * SMTP receiver. Every date is chosen relative to the test server's clock.
 */
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { DateTime } from 'luxon';
import { BusinessCalendar } from '../../domain/calendar';
import { DEFAULT_RULES } from '../../domain/rules';
import type { cardInUse, licenceWatch } from '../../workflows';
import {
  cardInUseWorkflowId,
  FailureType,
  licenceStateQuery,
  licenceWatchWorkflowId,
  MEMO,
  registerBridgingUpdate,
  renewLicenceUpdate,
  type CardType,
} from '../../workflows/definitions';
import { hex, insertCompany, newCardNumber } from '../support/fixtures';
import { recordHistory } from '../support/histories';
import { publishedState } from '../support/published-state';
import { eventually } from '../support/servers';
import { useWorkflowHarness } from '../support/workflow-harness';

const calendar = new BusinessCalendar(DEFAULT_RULES);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const h = useWorkflowHarness({ workflowsPath: require.resolve('./card-in-use-workflows') });

// ---- helpers ------------------------------------------------------------------------

const sleepUntil = (at: number) => h.sleepUntil(new Date(at));
const today = async () => calendar.dayOf(await h.now());

/** A licence expiry day about 30 days ahead of the test server's clock. */
const expiryDay = async () => calendar.addDays(await today(), 30);

/**
 * An approved company with CargoCards and a licence valid through `expiresOn`,
 * and its cards: two CargoCards in use (one with a running `cardInUse`
 * workflow, one with a record only), a PortKey in use and an expired CargoCard.
 */
async function createCompany(expiresOn: string, contract: 'approved' | 'pending' = 'approved') {
  const { companyId, contact } = await insertCompany(h.db.models, {
    name: 'Haven Transport B.V.',
    contract,
    requestsCargoCards: true,
    transportLicence: { number: `NIWO-${hex(6)}`, expiresOn, documentRef: 'doc-licence' },
  });
  const now = await h.now();
  const addCard = async (cardType: CardType, status: 'active' | 'expired') => {
    const n = newCardNumber();
    await h.db.models.Card.create({
      _id: n, applicationId: `ca_${hex(16)}`, companyId, xsId: `xs_${hex(12)}`, cardType, pinHash: 'x', status, producedAt: now,
      activatedAt: now, expiresAt: status === 'active' ? calendar.cardExpiresAt(now) : now,
    });
    return n;
  };
  const cards = {
    withWorkflow: await addCard('CargoCard', 'active'),
    recordOnly: await addCard('CargoCard', 'active'),
    portKey: await addCard('PortKey', 'active'),
    expired: await addCard('CargoCard', 'expired'),
  };
  const card = (await h.db.models.Card.findById(cards.withWorkflow).lean())!;
  const cardWorkflow = await h.client.workflow.start<typeof cardInUse>('cardInUse', {
    taskQueue: h.taskQueue, workflowId: cardInUseWorkflowId(cards.withWorkflow),
    args: [{
      cardNumber: cards.withWorkflow, applicationId: card.applicationId, companyId, customerNumber: 'C1', xsId: card.xsId,
      cardType: 'CargoCard', activatedAt: now.toISOString(), expiresAt: card.expiresAt!.toISOString(),
    }],
  });
  return { companyId, contact, cards, cardWorkflow };
}

async function startWatch(companyId: string): Promise<WorkflowHandle<typeof licenceWatch>> {
  const handle = await h.client.workflow.start<typeof licenceWatch>('licenceWatch', { taskQueue: h.taskQueue, workflowId: licenceWatchWorkflowId(companyId), args: [{ companyId }] });
  await eventually(() => handle.query(licenceStateQuery).catch(() => null));
  return handle;
}

/** The watch's state, once its current run has loaded the licence (null until then). */
/** By Query, checked against the memo's copy (published-state.ts). */
const state = (handle: WorkflowHandle<typeof licenceWatch>) =>
  eventually(() => publishedState(handle, licenceStateQuery, MEMO.licence).then((s) => s ?? undefined, (err: unknown) => {
    if (err instanceof Error && 'matcherResult' in err) throw err; // the memo is stale: fail, do not wait
    return undefined; // not started yet
  }));
const company = (companyId: string) => h.db.models.Company.findById(companyId).lean();
const statusOf = async (n: string) => (await h.db.models.Card.findById(n).lean())?.status;
const mailsTo = (address: string) => h.receiver.messages.filter((m) => m.to.includes(address));
const runId = async (handle: WorkflowHandle) => (await h.client.workflow.getHandle(handle.workflowId).describe()).runId;

async function refusal(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return (err as WorkflowUpdateFailedError).cause as ApplicationFailure;
}

/** The 5th working day before `day`, counted by hand (weekends and the calendar's holidays skipped). */
function fifthWorkingDayBefore(day: string): string {
  let d = day;
  for (let n = 0; n < 5; ) {
    d = calendar.addDays(d, -1);
    const weekday = DateTime.fromISO(d).weekday;
    if (weekday <= 5 && !calendar.holidayName(d)) n++;
  }
  return d;
}

// ---- warning, then block -------------------------------------------------------------------

test('the contact is warned at 09:00 on the 5th working day before E; at 00:00 after E every CargoCard is blocked and the contract terminated', async () => {
  const E = await expiryDay();
  const { companyId, contact, cards, cardWorkflow } = await createCompany(E);
  const watch = await startWatch(companyId);

  const warnAt = DateTime.fromISO(`${fifthWorkingDayBefore(E)}T09:00`, { zone: 'Europe/Amsterdam' }).toMillis();
  const blockAt = DateTime.fromISO(`${calendar.addDays(E, 1)}T00:00`, { zone: 'Europe/Amsterdam' }).toMillis();
  expect(await state(watch)).toMatchObject({
    phase: 'watching', effectiveExpiresOn: E, warnAt: new Date(warnAt).toISOString(), blockAt: new Date(blockAt).toISOString(),
  });
  const described = await watch.describe();
  expect(described.searchAttributes).toMatchObject({ CompanyId: [companyId], Phase: ['watching'], NextDueAt: [new Date(warnAt)] });
  const firstRun = await runId(watch);

  await sleepUntil(warnAt - MINUTE);
  expect((await state(watch)).phase).toBe('watching');
  expect(mailsTo(contact)).toHaveLength(0);
  await h.env.sleep(2 * MINUTE);
  const [warning] = await eventually(async () => mailsTo(contact).length === 1 && mailsTo(contact));
  expect(warning!.subject).toContain(`expires on ${E}`);
  // Warned, the watch continued as new (a natural point for new code): the new run knows it warned.
  await eventually(async () => (await runId(watch)) !== firstRun);
  const warned = await state(watch);
  expect(warned.phase).toBe('warned');
  expect(Date.parse(warned.warnedAt!) - warnAt).toBeGreaterThanOrEqual(0);
  expect(Date.parse(warned.warnedAt!) - warnAt).toBeLessThan(MINUTE);
  expect((await h.client.workflow.getHandle(watch.workflowId, firstRun).describe()).status.name).toBe('CONTINUED_AS_NEW');

  await sleepUntil(blockAt - MINUTE);
  expect((await state(watch)).phase).toBe('warned');
  expect(await statusOf(cards.withWorkflow)).toBe('active');
  expect((await company(companyId))?.contract?.status).toBe('approved');

  await h.env.sleep(2 * MINUTE);
  const result = await watch.result();
  expect(result).toMatchObject({ outcome: 'blocked', blockedCards: [cards.withWorkflow, cards.recordOnly].sort() });
  const blockedAt = Date.parse((result as { blockedAt: string }).blockedAt);
  expect(blockedAt - blockAt).toBeGreaterThanOrEqual(0);
  expect(blockedAt - blockAt).toBeLessThan(MINUTE);

  // Every CargoCard in use is blocked, through its workflow or on its record alone; other cards are left alone.
  expect(await cardWorkflow.result()).toMatchObject({ outcome: 'blocked', block: { by: 'licence-watch' } });
  expect(await statusOf(cards.withWorkflow)).toBe('blocked');
  expect(await h.db.models.Card.findById(cards.recordOnly).lean()).toMatchObject({ status: 'blocked', blockReason: expect.stringContaining(E) });
  expect(await statusOf(cards.portKey)).toBe('active');
  expect(await statusOf(cards.expired)).toBe('expired');
  const stored = (await company(companyId))!;
  expect(stored.contract).toMatchObject({ status: 'terminated', terminationReason: expect.stringContaining('expired') });
  expect(stored.contract?.terminatedAt?.toISOString()).toBe(new Date(blockedAt).toISOString());
  expect(stored.registrationKey).toBe(`closed:${companyId}`);

  // Two emails in all: the warning, and one listing the blocked cards (no email per card).
  const mails = await eventually(async () => mailsTo(contact).length >= 2 && mailsTo(contact));
  await new Promise((r) => setTimeout(r, 500));
  expect(mailsTo(contact)).toHaveLength(2);
  expect(mails[1]!.subject).toMatch(/expired: CargoCards blocked, contract terminated/);
  expect(mails[1]!.text).toContain(cards.withWorkflow);
  expect(mails[1]!.text).toContain(cards.recordOnly);
  expect((await watch.describe()).searchAttributes).toMatchObject({ Phase: ['blocked'] });
  await recordHistory(h.client.workflow.getHandle(watch.workflowId, firstRun), 'licence-watch-warned'); // ends continuing as new
  await recordHistory(watch, 'licence-watch-warning-block'); // the run after the warning
});

// ---- renewal and bridging ----------------------------------------------------------------

test('a renewal after the warning re-plans: no block at the old date, and a new warning before the new expiry', async () => {
  const E = await expiryDay();
  const { companyId, contact, cards } = await createCompany(E);
  const watch = await startWatch(companyId);
  const old = await state(watch);
  await sleepUntil(Date.parse(old.warnAt) + MINUTE);
  await eventually(async () => mailsTo(contact).length === 1);
  const firstRun = await runId(watch);

  const renew = (expiresOn: string) => watch.executeUpdate(renewLicenceUpdate, { args: [{ number: 'NIWO-2', expiresOn, documentRef: 'doc-licence-2' }] });
  expect((await refusal(renew(E))).type).toBe(FailureType.BusinessRule); // not after the current expiry
  expect((await refusal(renew(calendar.addDays(await today(), -1)))).type).toBe(FailureType.BusinessRule); // in the past
  expect((await refusal(renew('31-12-2030'))).type).toBe(FailureType.InvalidInput);

  const E2 = calendar.addDays(E, 60);
  const plan = await renew(E2);
  expect(plan).toEqual({
    effectiveExpiresOn: E2,
    warnAt: calendar.licencePlan(E2).warnAt.toISOString(),
    blockAt: calendar.licencePlan(E2).blockAt.toISOString(),
  });
  await eventually(async () => (await runId(watch)) !== firstRun);
  expect(await state(watch)).toMatchObject({ phase: 'watching', licence: { number: 'NIWO-2', expiresOn: E2 }, ...plan });
  expect((await company(companyId))?.transportLicence).toMatchObject({ number: 'NIWO-2', expiresOn: E2, documentRef: 'doc-licence-2' });

  await sleepUntil(Date.parse(old.blockAt) + HOUR);
  expect((await company(companyId))?.contract?.status).toBe('approved');
  expect(await statusOf(cards.withWorkflow)).toBe('active');
  expect(mailsTo(contact)).toHaveLength(1);

  await sleepUntil(Date.parse(plan.warnAt) + MINUTE);
  const mails = await eventually(async () => mailsTo(contact).length === 2 && mailsTo(contact));
  expect(mails[1]!.subject).toContain(`expires on ${E2}`);
  expect((await state(watch)).phase).toBe('warned');
  await recordHistory(h.client.workflow.getHandle(watch.workflowId, firstRun), 'licence-watch-renewed'); // the run that continued as new
  await h.client.workflow.getHandle(watch.workflowId).terminate('test done');
});

test('a NIWO bridging period moves the block to the end of the bridging period', async () => {
  const E = await expiryDay();
  const { companyId, contact, cards } = await createCompany(E);
  const watch = await startWatch(companyId);
  const old = await state(watch);

  const bridge = (until: string) => watch.executeUpdate(registerBridgingUpdate, { args: [{ until, proofRef: 'niwo-proof-1' }] });
  expect((await refusal(bridge(E))).type).toBe(FailureType.BusinessRule); // must end after the licence expiry
  const until = calendar.addDays(E, 20);
  const plan = await bridge(until);
  expect(plan).toMatchObject({ effectiveExpiresOn: until, blockAt: calendar.startOfDay(calendar.addDays(until, 1)).toISOString() });
  await eventually(async () => (await state(h.client.workflow.getHandle(watch.workflowId)))?.effectiveExpiresOn === until);
  expect((await company(companyId))?.transportLicence).toMatchObject({ expiresOn: E, bridgingUntil: until, bridgingProofRef: 'niwo-proof-1' });

  await sleepUntil(Date.parse(old.blockAt) + HOUR);
  expect((await company(companyId))?.contract?.status).toBe('approved');
  expect(await statusOf(cards.recordOnly)).toBe('active');
  expect(mailsTo(contact)).toHaveLength(0); // the warning for E was re-planned before it was due

  await sleepUntil(Date.parse(plan.blockAt) - MINUTE);
  expect(await statusOf(cards.recordOnly)).toBe('active');
  await h.env.sleep(2 * MINUTE);
  const result = await h.client.workflow.getHandle(watch.workflowId).result();
  expect(result).toMatchObject({ outcome: 'blocked' });
  expect(await statusOf(cards.recordOnly)).toBe('blocked');
  expect((await company(companyId))?.contract?.status).toBe('terminated');
  const mails = await eventually(async () => mailsTo(contact).length === 2 && mailsTo(contact));
  expect(mails.map((m) => m.subject)).toEqual([expect.stringContaining(`expires on ${until}`), expect.stringMatching(/expired/)]);
});

test('every renewal continues as new, so the history stays small however often the licence is renewed', async () => {
  const E = await expiryDay();
  const { companyId } = await createCompany(E);
  const watch = await startWatch(companyId);
  const runs = [await runId(watch)];

  for (let i = 1; i <= 3; i++) {
    const expiresOn = calendar.addDays(E, 30 * i);
    await watch.executeUpdate(renewLicenceUpdate, { args: [{ number: `NIWO-R${i}`, expiresOn, documentRef: `doc-${i}` }] });
    runs.push(await eventually(async () => {
      const id = await runId(watch);
      return !runs.includes(id) && id;
    }));
    await eventually(async () => (await state(h.client.workflow.getHandle(watch.workflowId)))?.licence.number === `NIWO-R${i}`);
  }

  expect(new Set(runs).size).toBe(4);
  const history = await h.client.workflow.getHandle(watch.workflowId).fetchHistory();
  expect(history.events!.length).toBeLessThan(30);
  await h.client.workflow.getHandle(watch.workflowId).terminate('test done');
});

test('a company without an approved contract has nothing to watch: the watch closes at once', async () => {
  const { companyId, contact } = await createCompany(await expiryDay(), 'pending');
  const watch = await h.client.workflow.start<typeof licenceWatch>('licenceWatch', { taskQueue: h.taskQueue, workflowId: licenceWatchWorkflowId(companyId), args: [{ companyId }] });

  expect(await watch.result()).toEqual({ outcome: 'closed', reason: 'the contract is pending' });
  expect(await watch.query(licenceStateQuery)).toBeNull();
  expect((await watch.describe()).searchAttributes).toMatchObject({ Phase: ['closed'] });
  expect(mailsTo(contact)).toHaveLength(0);
});
