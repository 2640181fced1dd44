/**
 * Cards in use (PROCESSES.md section 3) on the Java time-skipping test server:
 * the real `cardInUse` workflow and activities, a fresh database on the real
 * FerretDB and a real SMTP receiver. The card application a renewal or a loss
 * starts is a stand-in that returns its input (./card-in-use-workflows.ts).
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { BusinessCalendar } from '../../domain/calendar';
import { DEFAULT_RULES } from '../../domain/rules';
import type { cardInUse } from '../../workflows';
import {
  cancelBlockUpdate,
  cardInUseStateQuery,
  cardInUseWorkflowId,
  FailureType,
  renewCardUpdate,
  reportLostUpdate,
  scheduleBlockUpdate,
  type CardApplicationInput,
  type CardInUseInput,
} from '../../workflows/definitions';
import { hex, insertCompany, newCardNumber } from '../support/fixtures';
import { recordHistory } from '../support/histories';
import { eventually } from '../support/servers';
import { useWorkflowHarness, updateRefusal as refusal } from '../support/workflow-harness';

const calendar = new BusinessCalendar(DEFAULT_RULES);
const MINUTE = 60_000;
const DAY = 86_400_000;

const h = useWorkflowHarness({ workflowsPath: require.resolve('./card-in-use-workflows') });

// ---- helpers ------------------------------------------------------------------------

const serverNow = async (): Promise<number> => h.env.currentTimeMs();

/** An approved company, an active card of it (with the application it came from) and its running workflow. */
async function startCard(expiresAt?: Date, options: Pick<CardInUseInput, 'changesPerRun'> = {}) {
  const { companyId, contact } = await insertCompany(h.db.models);
  const activatedAt = new Date(await serverNow());
  const expires = expiresAt ?? calendar.cardExpiresAt(activatedAt);
  const input: CardInUseInput = {
    cardNumber: newCardNumber(),
    applicationId: `ca_${hex(16)}`, companyId, customerNumber: 'C1234567', xsId: `xs_${hex(12)}`, cardType: 'CargoCard',
    activatedAt: activatedAt.toISOString(), expiresAt: expires.toISOString(), ...options,
  };
  await h.db.models.CardApplication.create({
    _id: input.applicationId, companyId, xsId: input.xsId, cardType: 'CargoCard', deliveryMethod: 'pickup', destination: 'NL', status: 'active',
  });
  await h.db.models.Card.create({
    _id: input.cardNumber, applicationId: input.applicationId, companyId, xsId: input.xsId, cardType: 'CargoCard', pinHash: 'x',
    status: 'active', producedAt: activatedAt, activatedAt, expiresAt: expires,
  });
  const handle = await h.client.workflow.start<typeof cardInUse>('cardInUse', {
    taskQueue: h.taskQueue, workflowId: cardInUseWorkflowId(input.cardNumber), args: [input],
  });
  await eventually(() => handle.query(cardInUseStateQuery).then((s) => s.renewalWindowOpensAt !== '', () => false));
  return { input, handle, contact };
}

type Handle = WorkflowHandle<typeof cardInUse>;
const card = (cardNumber: string) => h.db.models.Card.findById(cardNumber).lean();
const mailsTo = (address: string) => h.receiver.messages.filter((m) => m.to.includes(address));
const sleepUntil = (at: number) => h.sleepUntil(new Date(at));

/** The input the replacement application's workflow was started with (the stand-in returns it). */
async function childInput(workflowId: string): Promise<CardApplicationInput> {
  const child = h.client.workflow.getHandle(workflowId);
  expect((await child.describe()).type).toBe('cardApplication');
  return child.result();
}

const eventIndex = async (handle: Handle, match: (e: temporal.api.history.v1.IHistoryEvent) => boolean) =>
  (await handle.fetchHistory()).events!.findIndex(match);

// ---- blocking at a chosen day ----------------------------------------------------------

test('a block scheduled for a later day can be cancelled until then; the card stays in use', async () => {
  const { input, handle, contact } = await startCard();
  const on = calendar.addDays(calendar.dayOf(new Date(await serverNow())), 3);

  const scheduled = await handle.executeUpdate(scheduleBlockUpdate, { args: [{ on, reason: 'Employee leaves', requestedBy: 'hr-1' }] });
  expect(scheduled).toMatchObject({ status: 'scheduled', block: { on, reason: 'Employee leaves', requestedBy: 'hr-1' } });
  expect(scheduled.block.takesEffectAt).toBe(calendar.startOfDay(on).toISOString());
  expect((await card(input.cardNumber))?.scheduledBlock).toMatchObject({ on, reason: 'Employee leaves' });
  const again = await refusal(handle.executeUpdate(scheduleBlockUpdate, { args: [{ on, reason: 'Twice', requestedBy: 'hr-1' }] }));
  expect(again.type).toBe(FailureType.Conflict);

  const cancelled = await handle.executeUpdate(cancelBlockUpdate);
  expect(cancelled).toMatchObject({ on, reason: 'Employee leaves' });
  expect((await card(input.cardNumber))?.scheduledBlock?.on).toBeUndefined();

  await sleepUntil(Date.parse(scheduled.block.takesEffectAt) + 60 * MINUTE);
  expect(await handle.query(cardInUseStateQuery)).toMatchObject({ phase: 'active' });
  expect((await handle.query(cardInUseStateQuery)).scheduledBlock).toBeUndefined();
  expect((await card(input.cardNumber))?.status).toBe('active');
  expect((await handle.describe()).status.name).toBe('RUNNING');
  expect((await refusal(handle.executeUpdate(cancelBlockUpdate))).type).toBe(FailureType.Conflict);
  expect(mailsTo(contact)).toHaveLength(0);
});

test('a card\'s history stays bounded: many block/cancel cycles continue as new with the state, and the last block still takes effect', async () => {
  const changesPerRun = 4;
  const { input, handle, contact } = await startCard(undefined, { changesPerRun });
  const firstRunId = (await handle.describe()).runId;
  const today = calendar.dayOf(new Date(await serverNow()));
  const cycles = 15; // 30 changes: 7 runs and more
  for (let i = 0; i < cycles; i++) {
    const on = calendar.addDays(today, 2 + (i % 5));
    await handle.executeUpdate(scheduleBlockUpdate, { args: [{ on, reason: `Cycle ${i}`, requestedBy: 'hr-3' }] });
    await handle.executeUpdate(cancelBlockUpdate);
  }
  const on = calendar.addDays(today, 3);
  const { block } = await handle.executeUpdate(scheduleBlockUpdate, { args: [{ on, reason: 'Finally leaves', requestedBy: 'hr-3' }] });

  // Every run of this card's life, first to last (each run's last event names the next): each one bounded.
  const runs: { runId: string; events: number }[] = [];
  for (let runId: string | null | undefined = firstRunId; runId; ) {
    const { events } = await h.client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
    runs.push({ runId, events: events!.length });
    runId = events!.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
  }
  expect(runs.length).toBeGreaterThanOrEqual(Math.floor((2 * cycles) / changesPerRun));
  expect(runs.at(-1)!.runId).toBe((await handle.describe()).runId);
  const biggest = Math.max(...runs.map((r) => r.events));
  expect(biggest).toBeLessThan(25 * changesPerRun); // a run holds its few changes, not the card's whole past

  // The state went along: the card, its window, the block now scheduled; the search attributes too.
  const state = await handle.query(cardInUseStateQuery);
  expect(state).toMatchObject({ phase: 'active', cardNumber: input.cardNumber, expiresAt: input.expiresAt, scheduledBlock: { on, reason: 'Finally leaves' } });
  expect(state.renewalWindowOpensAt).not.toBe('');
  expect((await handle.describe()).searchAttributes).toMatchObject({ Phase: ['active'], CardNumber: [input.cardNumber], CompanyId: [input.companyId] });

  await sleepUntil(Date.parse(block.takesEffectAt) + MINUTE);
  expect(await handle.result()).toMatchObject({ outcome: 'blocked', block: { reason: 'Finally leaves', by: 'hr-3' } });
  expect(await card(input.cardNumber)).toMatchObject({ status: 'blocked', blockReason: 'Finally leaves' });
  const mails = await eventually(async () => mailsTo(contact).length === 1 && mailsTo(contact));
  expect(mails.map((m) => m.subject)).toEqual([`Card ${input.cardNumber} is blocked`]);
});

test('an Update retried with its ID after its change made the run continue as new gets the first answer, not a refusal or a second change', async () => {
  const { handle } = await startCard(undefined, { changesPerRun: 1 }); // every block schedule or cancellation ends the run
  const on = calendar.addDays(calendar.dayOf(new Date(await serverNow())), 3);
  const updates = {
    scheduleBlock: () => handle.executeUpdate(scheduleBlockUpdate, { args: [{ on, reason: 'Employee leaves', requestedBy: 'hr-6' }], updateId: 'block-1' }),
    cancelBlock: () => handle.executeUpdate(cancelBlockUpdate, { updateId: 'cancel-1' }),
  };
  const answers: Record<string, unknown> = {};
  for (const [name, send] of Object.entries(updates)) {
    const run = (await handle.describe()).runId;
    answers[name] = await send();
    await eventually(async () => (await handle.describe()).runId !== run); // continued as new
    // The client timed out and sends the same Update again (api/services/updates.ts): the new run answers it.
    expect({ name, retried: await send() }).toEqual({ name, retried: answers[name] });
  }
  expect({ retriedLater: await updates.scheduleBlock() }).toEqual({ retriedLater: answers.scheduleBlock }); // two runs later
  // Nothing was done twice: the block is cancelled, and a new cancellation (another ID) is refused as one.
  expect((await handle.query(cardInUseStateQuery)).scheduledBlock).toBeUndefined();
  expect((await refusal(handle.executeUpdate(cancelBlockUpdate, { updateId: 'cancel-2' }))).type).toBe(FailureType.Conflict);
  await recordHistory(handle, 'card-in-use-updates-retried-after-continue-as-new'); // answers from the runs before
  await handle.terminate('test done');
});

test('a block scheduled for a later day takes effect at 00:00 local of that day and mails the company contact', async () => {
  const { input, handle, contact } = await startCard();
  const today = calendar.dayOf(new Date(await serverNow()));
  const refused = (on: string) => refusal(handle.executeUpdate(scheduleBlockUpdate, { args: [{ on, reason: 'Contract ended', requestedBy: 'hr-2' }] }));
  expect((await refused(calendar.addDays(today, -1))).type).toBe(FailureType.BusinessRule);
  expect((await refused(calendar.addDays(calendar.dayOf(new Date(input.expiresAt)), 1))).type).toBe(FailureType.BusinessRule); // after expiry
  expect((await refused('2026-02-30')).type).toBe(FailureType.InvalidInput);

  const on = calendar.addDays(today, 2);
  const { block } = await handle.executeUpdate(scheduleBlockUpdate, { args: [{ on, reason: 'Contract ended', requestedBy: 'hr-2' }] });
  const takesEffectAt = Date.parse(block.takesEffectAt);
  expect(block.takesEffectAt).toBe(calendar.startOfDay(on).toISOString());
  expect((await handle.describe()).searchAttributes?.NextDueAt).toEqual([new Date(takesEffectAt)]);

  await sleepUntil(takesEffectAt - MINUTE);
  expect(await handle.query(cardInUseStateQuery)).toMatchObject({ phase: 'active', scheduledBlock: { on } });
  expect((await card(input.cardNumber))?.status).toBe('active');

  await h.env.sleep(2 * MINUTE);
  const result = await handle.result();
  expect(result).toMatchObject({ outcome: 'blocked', block: { reason: 'Contract ended', by: 'hr-2' } });
  // The timer fires at 00:00 plus the latency of the workflow task that started it.
  const blockedAt = Date.parse((result as { block: { at: string } }).block.at);
  expect(blockedAt - takesEffectAt).toBeGreaterThanOrEqual(0);
  expect(blockedAt - takesEffectAt).toBeLessThan(MINUTE);
  const stored = await card(input.cardNumber);
  expect(stored).toMatchObject({ status: 'blocked', blockReason: 'Contract ended' });
  expect(stored?.blockedAt?.toISOString()).toBe(new Date(blockedAt).toISOString());
  expect(stored?.scheduledBlock?.on).toBeUndefined();
  const mails = await eventually(async () => mailsTo(contact).length === 1 && mailsTo(contact));
  expect(mails[0]!.subject).toBe(`Card ${input.cardNumber} is blocked`);
  expect(mails[0]!.text).toContain('Contract ended');
  expect((await handle.describe()).searchAttributes).toMatchObject({ Phase: ['blocked'], CardNumber: [input.cardNumber], CompanyId: [input.companyId] });
  await recordHistory(handle, 'card-in-use-scheduled-block');
});

test('a block for today takes effect at once', async () => {
  const { input, handle, contact } = await startCard();
  const today = calendar.dayOf(new Date(await serverNow()));

  const result = await handle.executeUpdate(scheduleBlockUpdate, { args: [{ on: today, reason: 'Stolen', requestedBy: 'hr-3' }] });

  expect(result).toMatchObject({ status: 'blocked', block: { on: today } });
  expect(await handle.result()).toMatchObject({ outcome: 'blocked', block: { reason: 'Stolen' } });
  expect((await card(input.cardNumber))?.status).toBe('blocked');
  await eventually(async () => mailsTo(contact).length === 1);
});

// ---- loss ---------------------------------------------------------------------------------

test('a lost card is replaced first (a new application is started), then blocked', async () => {
  const { input, handle, contact } = await startCard();

  const result = await handle.executeUpdate(reportLostUpdate, {
    args: [{ reason: 'Lost on the quay', requestedBy: 'hr-4', deliveryMethod: 'urgent-pickup', destination: 'NL' }],
  });

  const { replacement } = result;
  expect(replacement).toMatchObject({ reason: 'lost', requestedBy: 'hr-4', workflowId: `card:${replacement.applicationId}` });
  expect(replacement.applicationId).toMatch(/^ca_[0-9a-f]{32}$/);
  expect(await childInput(replacement.workflowId)).toEqual({
    applicationId: replacement.applicationId, companyId: input.companyId, customerNumber: input.customerNumber, xsId: input.xsId,
    cardType: 'CargoCard', deliveryMethod: 'urgent-pickup', destination: 'NL', submittedAt: replacement.requestedAt,
    replaces: { cardNumber: input.cardNumber, reason: 'lost' },
  });
  expect(await h.db.models.CardApplication.findById(replacement.applicationId).lean()).toMatchObject({
    status: 'awaiting-approvals', xsId: input.xsId, replaces: { cardNumber: input.cardNumber, reason: 'lost' },
  });

  expect(await handle.result()).toMatchObject({ outcome: 'blocked', block: { reason: 'lost: Lost on the quay', at: result.blockedAt } });
  expect(await card(input.cardNumber)).toMatchObject({ status: 'blocked', blockReason: 'lost: Lost on the quay' });
  // First the replacement's workflow started, then the card was blocked.
  const childStarted = await eventIndex(handle, (e) => Boolean(e.childWorkflowExecutionStartedEventAttributes));
  const blocking = await eventIndex(handle, (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'blockCardRecord');
  expect(childStarted).toBeGreaterThan(0);
  expect(blocking).toBeGreaterThan(childStarted);
  const mails = await eventually(async () => mailsTo(contact).length === 1 && mailsTo(contact));
  expect(mails[0]!.text).toContain('Lost on the quay');
  // The workflow has ended: nothing is left to take a second report.
  await expect(
    handle.executeUpdate(reportLostUpdate, { args: [{ reason: 'again', requestedBy: 'hr-4', deliveryMethod: 'post', destination: 'NL' }] }),
  ).rejects.toThrow();
  await recordHistory(handle, 'card-in-use-lost');
});

// ---- renewal window and expiry -------------------------------------------------------------

test('renewal is refused before the window, accepted inside it (a renewal application is started), and the card expires at its expiry', async () => {
  const expiresAt = new Date((await serverNow()) + 8 * 7 * DAY);
  const windowOpensAt = calendar.renewalWindowOpensAt(expiresAt).getTime();
  const { input, handle } = await startCard(expiresAt);
  const firstRun = handle.firstExecutionRunId;

  const early = await refusal(handle.executeUpdate(renewCardUpdate, { args: [{ requestedBy: 'hr-5' }] }));
  expect(early.type).toBe(FailureType.BusinessRule);
  expect(early.message).toBe(`renewal opens on ${calendar.toLocalIso(new Date(windowOpensAt)).slice(0, 16).replace('T', ' ')}`);
  expect(await handle.query(cardInUseStateQuery)).toMatchObject({ phase: 'active', renewalWindowOpensAt: new Date(windowOpensAt).toISOString() });

  await sleepUntil(windowOpensAt - MINUTE);
  expect((await handle.query(cardInUseStateQuery)).phase).toBe('active');
  await h.env.sleep(2 * MINUTE);
  expect((await handle.query(cardInUseStateQuery)).phase).toBe('expiring');
  const marked = await eventually(async () => (await card(input.cardNumber))?.expiringSince ?? undefined);
  expect(marked.toISOString()).toBe(new Date(windowOpensAt).toISOString());
  expect((await handle.describe()).searchAttributes?.Phase).toEqual(['expiring']);
  // The window opened: the card continued as new (a natural point for new code), its state carried.
  expect((await h.client.workflow.getHandle(handle.workflowId, firstRun).describe()).status.name).toBe('CONTINUED_AS_NEW');
  expect((await handle.describe()).runId).not.toBe(firstRun);

  const replacement = await handle.executeUpdate(renewCardUpdate, { args: [{ requestedBy: 'hr-5' }] });
  expect(replacement).toMatchObject({ reason: 'renewal', requestedBy: 'hr-5' });
  // Delivered as the card it renews was (the old application: pickup in NL).
  expect(await childInput(replacement.workflowId)).toMatchObject({
    deliveryMethod: 'pickup', destination: 'NL', replaces: { cardNumber: input.cardNumber, reason: 'renewal' },
  });
  expect((await refusal(handle.executeUpdate(renewCardUpdate, { args: [{ requestedBy: 'hr-5' }] }))).type).toBe(FailureType.Conflict);

  await sleepUntil(expiresAt.getTime() - MINUTE);
  expect(await handle.query(cardInUseStateQuery)).toMatchObject({ phase: 'expiring', replacement: { applicationId: replacement.applicationId } });
  await h.env.sleep(2 * MINUTE);
  expect(await handle.result()).toEqual({ outcome: 'expired', at: expiresAt.toISOString() });
  expect((await card(input.cardNumber))?.status).toBe('expired');
  expect((await handle.query(cardInUseStateQuery)).phase).toBe('expired');
  // Expired: the workflow has ended, nothing renews the card any more.
  await expect(handle.executeUpdate(renewCardUpdate, { args: [{ requestedBy: 'hr-5' }] })).rejects.toThrow();
  await recordHistory(h.client.workflow.getHandle(handle.workflowId, firstRun), 'card-in-use-window-opened'); // ends continuing as new
  await recordHistory(handle, 'card-in-use-renewal-expiry'); // the run in the window
});
