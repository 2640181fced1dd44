/**
 * The card application, production and pickup hold (PROCESSES.md section 2)
 * end to end on the Java time-skipping test server: a real Worker with the
 * real activities, a fresh database on the real FerretDB, a real SMTP receiver.
 *
 * Every scenario picks its days with the calendar, ahead of the test server's
 * clock (which starts at the real now), and moves that clock with env.sleep:
 * no test depends on today's date.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createLocalCardPrinter, pinMatches } from '../../activities/card-production';
import { BusinessCalendar, type IsoDay } from '../../domain/calendar';
import type { PickupPlan } from '../../domain/card-delivery';
import { DEFAULT_RULES, type LocalTime } from '../../domain/rules';
import type { cardApplication, pickupHold } from '../../workflows';
import {
  activateUpdate,
  approveByBackofficeUpdate,
  approveByCardUserUpdate,
  cardApplicationStateQuery,
  cardApplicationWorkflowId,
  cardInUseWorkflowId,
  checkAtServicePointUpdate,
  convertToUrgentUpdate,
  FailureType,
  MEMO,
  nameCollectorUpdate,
  pickupHoldStateQuery,
  pickupHoldWorkflowId,
  recordPickupUpdate,
  type CardApplicationPhase,
  type CardInUseInput,
  type DeliveryMethod,
  type Destination,
} from '../../workflows/definitions';
import { hex, insertCardUser, insertCompany } from '../support/fixtures';
import { recordHistory } from '../support/histories';
import { publishedState } from '../support/published-state';
import { eventually } from '../support/servers';
import { freshAttempt, useWorkflowHarness, updateRefusal as refusal } from '../support/workflow-harness';

const calendar = new BusinessCalendar(DEFAULT_RULES);

const h = useWorkflowHarness({ workflowsPath: require.resolve('./card-workflows') });

// ---- Fixtures -----------------------------------------------------------------------

/** A company with an approved contract and a card user. */
async function companyWithCardUser() {
  const company = await insertCompany(h.db.models);
  const user = await insertCardUser(h.db.models, company.companyId);
  return { companyId: company.companyId, contact: company.contact, xsId: user.xsId, user };
}

type Case = Awaited<ReturnType<typeof apply>>;

async function apply(deliveryMethod: DeliveryMethod, destination: Destination = 'NL') {
  const who = await companyWithCardUser();
  const applicationId = `ca_${hex(12)}`;
  const handle: WorkflowHandle<typeof cardApplication> = await h.env.client.workflow.start<typeof cardApplication>('cardApplication', {
    taskQueue: h.taskQueue,
    workflowId: cardApplicationWorkflowId(applicationId),
    args: [{
      applicationId,
      companyId: who.companyId,
      customerNumber: 'C0000001',
      xsId: who.xsId,
      cardType: 'PortKey',
      deliveryMethod,
      destination,
      submittedAt: new Date(await h.env.currentTimeMs()).toISOString(),
    }],
  });
  return {
    ...who,
    applicationId,
    handle,
    hold: h.env.client.workflow.getHandle<typeof pickupHold>(pickupHoldWorkflowId(applicationId)),
    /** By Query, checked against the memo's copy (published-state.ts). */
    state: () => publishedState(handle, cardApplicationStateQuery, MEMO.application),
    mailsToContact: () => h.receiver.messages.filter((m) => m.to.includes(who.contact)),
    mailsToUser: () => h.receiver.messages.filter((m) => m.to.includes(who.user.email)),
    record: () => h.db.models.CardApplication.findById(applicationId).lean(),
  };
}

// ---- Time -----------------------------------------------------------------------------

const at = (day: IsoDay, time: LocalTime): Date => calendar.atLocalTime(day, time);
const localIso = (iso: string | undefined): string => calendar.toLocalIso(new Date(iso!));

async function phase(c: Case, expected: CardApplicationPhase) {
  return eventually(async () => {
    const s = await c.state();
    return s.phase === expected ? s : undefined;
  });
}

async function approveBoth(c: Case, day: IsoDay, cardUserAt: LocalTime, backofficeAt: LocalTime) {
  const [first, second] = cardUserAt < backofficeAt ? (['user', 'bo'] as const) : (['bo', 'user'] as const);
  const send = (who: 'user' | 'bo') =>
    who === 'user'
      ? c.handle.executeUpdate(approveByCardUserUpdate, { args: [{ approvedBy: c.xsId }] })
      : c.handle.executeUpdate(approveByBackofficeUpdate, { args: [{ approvedBy: 'bo-1' }] });
  await h.sleepUntil(at(day, first === 'user' ? cardUserAt : backofficeAt));
  const one = await send(first);
  expect(one.approvedForProduction).toBe(false);
  await h.sleepUntil(at(day, second === 'user' ? cardUserAt : backofficeAt));
  const both = await send(second);
  expect(both.approvedForProduction).toBe(true);
  return both;
}

const pinFrom = (text: string): string => /PIN code is:\s*(\d{4})/.exec(text)?.[1] ?? '';

// ---- Approval and production -----------------------------------------------------------

test.each([
  ['the card user first, then the back-office', '09:00', '10:00'],
  ['the back-office first, then the card user', '10:00', '09:00'],
] as const)('approved by %s: produced at the cut-off, PIN to the company contact, next steps to the card user', async (_order, userAt, boAt) => {
  const day = await h.workingDayAhead();
  const c = await apply('post');
  await eventually(async () => c.mailsToContact().length === 1);
  expect(c.mailsToContact()[0]!.subject).toMatch(/received your application/);
  expect(await c.state()).toMatchObject({ phase: 'awaiting-approvals', approvals: {} });

  const approved = await approveBoth(c, day, userAt, boAt);

  expect(approved.plan).toMatchObject({ method: 'post', shipOn: day });
  const s = await c.state();
  expect(s.approvedAt).toBe(new Date(Math.max(Date.parse(s.approvals.cardUser!.at), Date.parse(s.approvals.backoffice!.at))).toISOString());
  expect(localIso(s.approvedAt).slice(11, 16)).toBe('10:00');
  expect(s).toMatchObject({ phase: 'awaiting-production', approvals: { cardUser: { by: c.xsId }, backoffice: { by: 'bo-1' } } });
  expect(c.mailsToUser()).toHaveLength(0);

  await h.sleepUntil(at(day, '13:01'));
  const shipped = await phase(c, 'shipped');
  expect(localIso(shipped.producedAt)).toBe(calendar.toLocalIso(at(day, '13:00')));
  await eventually(async () => c.mailsToContact().length === 3 && c.mailsToUser().length === 1);
  const [received, pinMail, shippedMail] = c.mailsToContact();
  expect([received!.subject, pinMail!.subject, shippedMail!.subject]).toEqual([
    expect.stringMatching(/received/),
    expect.stringMatching(`^PIN code for card ${shipped.cardNumber}`),
    expect.stringMatching(/shipped/),
  ]);
  expect(c.mailsToUser()[0]!.subject).toMatch(/produced: next steps/);
  expect(c.mailsToUser()[0]!.text).not.toMatch(/PIN code is/);

  const card = await h.db.models.Card.findById(shipped.cardNumber).lean();
  expect(await pinMatches(pinFrom(pinMail!.text), card!.pinHash)).toBe(true);
  expect(card!.pinHash).not.toContain(pinFrom(pinMail!.text));
  expect(card!.pinForDelivery).toBeUndefined();
  expect(await h.db.models.Card.countDocuments({ applicationId: c.applicationId })).toBe(1);
  expect(await c.record()).toMatchObject({ status: 'shipped', cardNumber: shipped.cardNumber, backofficeApprovedBy: 'bo-1' });

  const again = await refusal(c.handle.executeUpdate(approveByBackofficeUpdate, { args: [{ approvedBy: 'bo-2' }] }));
  expect(again.type).toBe(FailureType.Conflict);
  await recordHistory(c.handle, 'card-application-post-shipped');
});

describe('post', () => {
  test.each([
    ['before 13:00 ships that day', '10:00', 'NL', 0, 5],
    ['after 13:00 ships the next working day', '14:00', 'NL', 1, 5],
    ['abroad: expected 10 working days after shipping', '11:00', 'abroad', 0, 10],
  ] as const)('approved %s', async (_name, time, destination, shipAfter, deliveryDays) => {
    const day = await h.workingDayAhead();
    const shipOn = calendar.addWorkingDays(day, shipAfter);
    const expectedDeliveryBy = calendar.addWorkingDays(shipOn, deliveryDays);
    const c = await apply('post', destination);

    const { plan } = await approveBoth(c, day, '09:30', time);
    expect(plan).toMatchObject({ shipOn, expectedDeliveryBy });
    expect(localIso(plan!.productionAt)).toBe(calendar.toLocalIso(at(shipOn, '13:00')));

    await h.sleepUntil(at(shipOn, '12:55'));
    expect((await c.state()).phase).toBe('awaiting-production');
    await h.sleepUntil(at(shipOn, '13:05'));
    const s = await phase(c, 'shipped');
    expect(s).toMatchObject({ shippedOn: shipOn, expectedDeliveryBy });
    await eventually(async () => c.mailsToContact().some((m) => /shipped/.test(m.subject)));
    const mail = c.mailsToContact().find((m) => /shipped/.test(m.subject))!;
    expect(mail.subject).toContain(shipOn);
    expect(mail.text).toContain(`Expected delivery: by ${expectedDeliveryBy}`);
    await eventually(async () => (await c.record())?.status === 'shipped');
    expect(await c.record()).toMatchObject({ shippedOn: shipOn, expectedDeliveryBy });
    expect(await h.db.models.Card.findById(s.cardNumber).lean()).toMatchObject({ status: 'shipped', shippedOn: shipOn });
  });
});

// ---- Pickup plans --------------------------------------------------------------------------

describe('pickup at the service point', () => {
  test.each([
    ['regular, approved before 13:00: ready that day 16:00-17:00', 'pickup', '11:00', 0, '16:00'],
    ['regular, approved after 13:00: ready the next working day 16:00-17:00', 'pickup', '13:30', 1, '16:00'],
    ['urgent, approved after 16:30: ready the next working day from 08:00', 'urgent-pickup', '16:45', 1, '08:00'],
  ] as const)('%s', async (_name, method, time, readyAfter, from) => {
    const day = await h.workingDayAhead();
    const readyOn = calendar.addWorkingDays(day, readyAfter);
    const c = await apply(method);

    const plan = (await approveBoth(c, day, '09:00', time)).plan as PickupPlan;

    expect(plan).toMatchObject({ method, readyOn, toPostOn: calendar.addWorkingDays(readyOn, 6) });
    expect(localIso(plan.pickupFrom)).toBe(calendar.toLocalIso(at(readyOn, from)));
    expect(localIso(plan.pickupUntil)).toBe(calendar.toLocalIso(at(readyOn, '17:00')));
    expect(localIso(plan.holdUntil)).toBe(calendar.toLocalIso(at(calendar.addWorkingDays(readyOn, 5), '17:00')));
    // Regular cards are produced at 13:00 of the ready day, urgent ones at once.
    const producedBy = method === 'urgent-pickup' ? at(day, '16:46') : at(readyOn, '13:01');
    await h.sleepUntil(producedBy);
    const s = await phase(c, 'held-for-pickup');
    if (method === 'pickup') expect(localIso(s.producedAt)).toBe(calendar.toLocalIso(at(readyOn, '13:00')));
    expect(await c.hold.query(pickupHoldStateQuery)).toMatchObject({ phase: 'held', cardNumber: s.cardNumber, plan });
    await eventually(async () => c.mailsToUser().length === 2);
    const ready = c.mailsToUser().find((m) => /can be collected/.test(m.subject))!;
    expect(ready.text).toContain(`on ${readyOn} from ${from} until 17:00`);
  });

  test('urgent, checked at the service point on the card user\'s behalf: ready that day, the card user must arrive by 16:30', async () => {
    const day = await h.workingDayAhead();
    const c = await apply('urgent-pickup');
    await h.sleepUntil(at(day, '09:00'));
    await c.handle.executeUpdate(approveByBackofficeUpdate, { args: [{ approvedBy: 'bo-1' }] });
    await h.sleepUntil(at(day, '10:00'));

    const checked = await c.handle.executeUpdate(checkAtServicePointUpdate, { args: [{ checkedBy: 'sp-7' }] });

    expect(checked.approvals.cardUser).toMatchObject({ by: 'sp-7', atServicePoint: true });
    expect(checked.plan).toMatchObject({ readyOn: day });
    expect(localIso((checked.plan as PickupPlan).arriveBy)).toBe(calendar.toLocalIso(at(day, '16:30')));
    const held = await phase(c, 'held-for-pickup');
    expect((await c.hold.describe()).status.name).toBe('RUNNING');
    expect(held.plan).toEqual(checked.plan);
    await eventually(async () => c.mailsToUser().some((m) => /please arrive by 16:30/.test(m.text)));
  });
});

// ---- Conversion to urgent ---------------------------------------------------------------------

test('converted to urgent before production: the plan is recomputed from the conversion and the card produced at once', async () => {
  const day = await h.workingDayAhead();
  const c = await apply('pickup');
  const regular = (await approveBoth(c, day, '13:30', '14:00')).plan as PickupPlan;
  expect(regular.readyOn).toBe(calendar.nextWorkingDay(day));

  await h.sleepUntil(at(day, '15:00'));
  const converted = await c.handle.executeUpdate(convertToUrgentUpdate, { args: [{ requestedBy: 'bo-1' }] });

  const urgent = converted.plan as PickupPlan;
  expect(urgent).toMatchObject({ method: 'urgent-pickup', readyOn: day, decisiveAt: converted.convertedAt });
  expect(urgent.pickupFrom).toBe(converted.convertedAt);
  const held = await phase(c, 'held-for-pickup');
  expect(held).toMatchObject({ deliveryMethod: 'urgent-pickup', plan: urgent });
  expect(Date.parse(held.producedAt!) - Date.parse(converted.convertedAt)).toBeLessThan(60_000);
  await eventually(async () => (await c.record())?.deliveryMethod === 'urgent-pickup');

  const again = await refusal(c.handle.executeUpdate(convertToUrgentUpdate, { args: [{}] }));
  expect(again.type).toBe(FailureType.Conflict);
});

test('once the card is produced, a conversion to urgent is refused and the plan stays', async () => {
  const day = await h.workingDayAhead();
  const c = await apply('post');
  const { plan } = await approveBoth(c, day, '09:00', '10:00');
  await h.sleepUntil(at(day, '13:01'));
  await phase(c, 'shipped');

  const refused = await refusal(c.handle.executeUpdate(convertToUrgentUpdate, { args: [{}] }));

  expect(refused.type).toBe(FailureType.Conflict);
  expect(refused.message).toMatch(/already produced/);
  expect(await c.state()).toMatchObject({ deliveryMethod: 'post', plan });
});

// ---- The pickup hold -------------------------------------------------------------------------

/** A regular pickup approved at 11:00 on `day`: ready that day at 16:00. */
async function heldCard(day: IsoDay) {
  const c = await apply('pickup');
  const plan = (await approveBoth(c, day, '10:00', '11:00')).plan as PickupPlan;
  await h.sleepUntil(at(day, '13:01'));
  const s = await phase(c, 'held-for-pickup');
  return { c, plan, cardNumber: s.cardNumber! };
}

test('held for pickup: not before 16:00, not by a stranger; the named collector collects it on the last day before 17:00, which ends the hold', async () => {
  const day = await h.workingDayAhead();
  const { c, plan, cardNumber } = await heldCard(day);

  const early = await refusal(c.hold.executeUpdate(recordPickupUpdate, { args: [{ collectedBy: 'Anna de Vries' }] }));
  expect(early.type).toBe(FailureType.Conflict);
  expect(early.message).toMatch(/from .* 16:00/);

  await c.handle.executeUpdate(nameCollectorUpdate, { args: [{ name: 'Piet  Bakker' }] });
  expect(await c.hold.query(pickupHoldStateQuery)).toMatchObject({ collectorName: 'Piet Bakker' });

  const lastDay = calendar.addWorkingDays(day, 5);
  await h.sleepUntil(at(lastDay, '16:30'));
  expect((await c.hold.query(pickupHoldStateQuery)).phase).toBe('held');
  const stranger = await refusal(c.hold.executeUpdate(recordPickupUpdate, { args: [{ collectedBy: 'Kees Vreemd' }] }));
  expect(stranger.type).toBe(FailureType.BusinessRule);

  const collected = await c.hold.executeUpdate(recordPickupUpdate, { args: [{ collectedBy: 'piet bakker' }] });

  expect(collected).toMatchObject({ outcome: 'collected', collectedBy: 'piet bakker' });
  expect(localIso(collected.at).slice(0, 16)).toBe(calendar.toLocalIso(at(lastDay, '16:30')).slice(0, 16));
  expect(await c.hold.result()).toEqual(collected);
  expect(plan.holdUntil).toBe(at(lastDay, '17:00').toISOString());
  expect(await phase(c, 'collected')).toMatchObject({ collectedBy: 'piet bakker', collectorName: 'Piet Bakker' });
  await eventually(async () => (await c.record())?.status === 'collected');
  expect(await h.db.models.Card.findById(cardNumber).lean()).toMatchObject({ status: 'collected', collectedBy: 'piet bakker' });
  expect(c.mailsToContact().filter((m) => /sent by post/.test(m.subject))).toHaveLength(0);
  await recordHistory(c.hold, 'pickup-hold-collected');
});

test('not collected by 17:00 on the last day: handed to the post at 08:00 on the next working day, the company contact is told when to expect it', async () => {
  const day = await h.workingDayAhead();
  const { c, plan, cardNumber } = await heldCard(day);
  const toPostOn = calendar.addWorkingDays(day, 6);
  expect(plan.toPostOn).toBe(toPostOn);

  await h.sleepUntil(new Date(Date.parse(plan.holdUntil) + 60_000));
  expect(await eventually(async () => ((await c.hold.query(pickupHoldStateQuery)).phase === 'awaiting-post' ? true : undefined))).toBe(true);
  const late = await refusal(c.hold.executeUpdate(recordPickupUpdate, { args: [{ collectedBy: 'Anna de Vries' }] }));
  expect(late.type).toBe(FailureType.Conflict);
  expect(c.mailsToContact().filter((m) => /sent by post/.test(m.subject))).toHaveLength(0);

  await h.sleepUntil(at(toPostOn, '08:01'));
  const ended = await c.hold.result();

  const expectedDeliveryBy = calendar.addWorkingDays(toPostOn, 5);
  expect(ended).toMatchObject({ outcome: 'to-post', shippedOn: toPostOn, expectedDeliveryBy });
  expect(localIso(ended.at).slice(0, 16)).toBe(calendar.toLocalIso(at(toPostOn, '08:00')).slice(0, 16));
  expect(await phase(c, 'shipped')).toMatchObject({ shippedOn: toPostOn, expectedDeliveryBy });
  await eventually(async () => c.mailsToContact().some((m) => /sent by post/.test(m.subject)));
  const mail = c.mailsToContact().find((m) => /sent by post/.test(m.subject))!;
  expect(mail.text).toContain(`sent by post on ${toPostOn}; expected delivery by ${expectedDeliveryBy}`);
  expect(await h.db.models.Card.findById(cardNumber).lean()).toMatchObject({ status: 'shipped', shippedOn: toPostOn });
  await eventually(async () => (await c.record())?.status === 'shipped');
  await recordHistory(c.hold, 'pickup-hold-to-post');
});

/** The first working day ahead whose hold (it and the 5 working days after it) spans a weekday public holiday. */
async function readyDayBeforeHoliday(): Promise<{ day: IsoDay; holiday: IsoDay }> {
  let day = await h.workingDayAhead();
  for (;;) {
    const last = calendar.addWorkingDays(day, 5);
    for (let d = calendar.addDays(day, 1); d <= last; d = calendar.addDays(d, 1)) {
      const weekday = new Date(`${d}T12:00:00Z`).getUTCDay();
      if (weekday >= 1 && weekday <= 5 && calendar.holidayName(d)) return { day, holiday: d };
    }
    day = calendar.nextWorkingDay(day);
  }
}

test('a public holiday during the hold adds a day: the card is still held after 5 weekdays and collected on the 5th working day', async () => {
  const { day, holiday } = await readyDayBeforeHoliday();
  const { c, plan } = await heldCard(day);
  const lastDay = calendar.addWorkingDays(day, 5);
  let fifthWeekday = day;
  for (let n = 0; n < 5; ) {
    fifthWeekday = calendar.addDays(fifthWeekday, 1);
    const weekday = new Date(`${fifthWeekday}T12:00:00Z`).getUTCDay();
    if (weekday >= 1 && weekday <= 5) n += 1;
  }
  expect(holiday > day && holiday <= lastDay).toBe(true);
  expect(lastDay > fifthWeekday).toBe(true);
  expect(plan.holdUntil).toBe(at(lastDay, '17:00').toISOString());

  await h.sleepUntil(at(fifthWeekday, '17:30'));
  expect((await c.hold.query(pickupHoldStateQuery)).phase).toBe('held');
  await h.sleepUntil(at(lastDay, '16:00'));
  const collected = await c.hold.executeUpdate(recordPickupUpdate, { args: [{ collectedBy: c.xsId }] });

  expect(collected.outcome).toBe('collected');
  await phase(c, 'collected');
});

// ---- Activation -------------------------------------------------------------------------------

test('activation: not before the card was collected; a wrong PIN is refused and counted; the right PIN activates the card for 5 years and starts cardInUse', async () => {
  const day = await h.workingDayAhead();
  const c = await apply('urgent-pickup');
  await h.sleepUntil(at(day, '09:00'));
  await c.handle.executeUpdate(approveByBackofficeUpdate, { args: [{ approvedBy: 'bo-1' }] });
  await c.handle.executeUpdate(approveByCardUserUpdate, { args: [{ approvedBy: c.xsId }] });
  const held = await phase(c, 'held-for-pickup');
  // Produced at once: the production activity recorded the approval moment, the plan and the card (card-application-fewer-steps).
  await eventually(async () => (await c.record())?.status === 'held-for-pickup');
  expect(await c.record()).toMatchObject({
    approvedAt: new Date(held.approvedAt!), plan: held.plan, cardNumber: held.cardNumber, producedAt: new Date(held.producedAt!),
  });
  await eventually(async () => c.mailsToContact().some((m) => /^PIN code/.test(m.subject)));
  const pin = pinFrom(c.mailsToContact().find((m) => /^PIN code/.test(m.subject))!.text);
  expect(pin).toMatch(/^\d{4}$/);

  const tooEarly = await refusal(c.handle.executeUpdate(activateUpdate, { args: [{ pin }] }));
  expect(tooEarly.type).toBe(FailureType.Conflict);

  await h.sleepUntil(at(day, '09:30'));
  await c.hold.executeUpdate(recordPickupUpdate, { args: [{ collectedBy: 'Anna de Vries' }] });
  const wrongPin = String((Number(pin) + 1) % 10_000).padStart(4, '0');
  const wrong = await refusal(c.handle.executeUpdate(activateUpdate, { args: [{ pin: wrongPin }] }));
  expect(wrong.type).toBe(FailureType.BusinessRule);
  expect(await c.state()).toMatchObject({ phase: 'collected', failedPinAttempts: 1 });
  const malformed = await refusal(c.handle.executeUpdate(activateUpdate, { args: [{ pin: '12a4' }] }));
  expect(malformed.type).toBe(FailureType.InvalidInput);

  await h.sleepUntil(at(day, '10:00'));
  const activated = await c.handle.executeUpdate(activateUpdate, { args: [{ pin }] });

  const activatedAt = new Date(activated.activatedAt);
  expect(activated).toEqual({ cardNumber: held.cardNumber, activatedAt: activated.activatedAt, expiresAt: calendar.cardExpiresAt(activatedAt).toISOString() });
  expect(localIso(activated.expiresAt).slice(0, 16)).toBe(`${Number(day.slice(0, 4)) + 5}${localIso(activated.activatedAt).slice(4, 16)}`);
  expect(await c.handle.result()).toEqual({ applicationId: c.applicationId, ...activated });
  expect(await c.record()).toMatchObject({ status: 'active', activatedAt, expiresAt: new Date(activated.expiresAt) });
  expect(await h.db.models.Card.findById(held.cardNumber).lean()).toMatchObject({ status: 'active', activatedAt, expiresAt: new Date(activated.expiresAt) });

  const inUse = h.env.client.workflow.getHandle(cardInUseWorkflowId(held.cardNumber!));
  expect(await inUse.result()).toEqual<CardInUseInput>({
    cardNumber: held.cardNumber!,
    applicationId: c.applicationId,
    companyId: c.companyId,
    customerNumber: 'C0000001',
    xsId: c.xsId,
    cardType: 'PortKey',
    activatedAt: activated.activatedAt,
    expiresAt: activated.expiresAt,
  });
  await recordHistory(c.handle, 'card-application-urgent-pickup-activated');
});

// ---- Card production, activity by activity ------------------------------------------------------

describe('card production', () => {
  const order = async () => {
    const who = await companyWithCardUser();
    return { applicationId: `ca_${hex(12)}`, companyId: who.companyId, xsId: who.xsId, cardType: 'PortKey' as const, producedAt: new Date().toISOString(), who };
  };
  const activities = () => h.activities;
  const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> =>
    new MockActivityEnvironment(freshAttempt(), { logger: new DefaultLogger('ERROR') }).run(fn, ...args);

  test('a retried or concurrent production of one application makes one card, with the same number and PIN', async () => {
    const { who: _who, ...o } = await order();
    const printer = createLocalCardPrinter(h.db.models);

    const [a, b] = await Promise.all([printer.produce(o), printer.produce(o)]);
    const retried = await run(activities().produceCard, o);

    expect(b).toEqual(a);
    expect(retried).toEqual({ cardNumber: a.cardNumber });
    expect(await h.db.models.Card.countDocuments({ applicationId: o.applicationId })).toBe(1);
    const card = await h.db.models.Card.findById(a.cardNumber).lean();
    expect(await pinMatches(a.pin, card!.pinHash)).toBe(true);
  });

  // Forgotten by forgetCardPin after the mail (runs recorded before card-application-fewer-steps), or by the mail's own activity.
  test.each([
    ['by forgetCardPin after it', false],
    ['by the PIN email activity itself (forgetPin)', true],
  ])('the PIN email takes the PIN from the card; once sent and forgotten %s, a retry sends nothing and the PIN is gone', async (_how, forgetPin) => {
    const { who, ...o } = await order();
    const acts = activities();
    const { cardNumber } = await run(acts.produceCard, o);
    const input = {
      key: { workflowId: `card:${o.applicationId}`, purpose: 'pin' }, companyId: o.companyId, cardNumber,
      data: { cardUserName: 'Anna de Vries', companyName: 'Haven', cardType: 'PortKey' }, ...(forgetPin ? { forgetPin } : {}),
    };

    const sent = await run(acts.sendCardPinEmail, input);
    if (!forgetPin) await run(acts.forgetCardPin, { cardNumber });
    const retried = await run(acts.sendCardPinEmail, input);

    expect(sent.outcome).toBe('sent');
    expect(retried).toEqual({ outcome: 'already-sent', messageId: sent.messageId });
    const mails = h.receiver.messages.filter((m) => m.to.includes(who.contact));
    expect(mails).toHaveLength(1);
    const card = await h.db.models.Card.findById(cardNumber).lean();
    expect(card!.pinForDelivery).toBeUndefined();
    expect(await pinMatches(pinFrom(mails[0]!.text), card!.pinHash)).toBe(true);
    await expect(run(acts.produceCard, o)).rejects.toMatchObject({ type: FailureType.Conflict });
  });
});
