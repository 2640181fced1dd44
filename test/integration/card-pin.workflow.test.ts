/**
 * PIN attempts at activation (issue: the card PIN could be guessed without limit), on the Java
 * time-skipping test server with the real card-application and pickup-hold workflows and
 * activities, a fresh database on the real FerretDB and a real SMTP receiver. A file of its own: it
 * moves the server's clock from a fresh start.
 */
import { BusinessCalendar, type IsoDay } from '../../domain/calendar';
import { DEFAULT_RULES } from '../../domain/rules';
import type { cardApplication, pickupHold } from '../../workflows';
import {
  activateUpdate,
  approveByBackofficeUpdate,
  approveByCardUserUpdate,
  cardApplicationStateQuery,
  cardApplicationWorkflowId,
  FailureType,
  MEMO,
  issueNewPinUpdate,
  MAX_PIN_ATTEMPTS,
  pickupHoldWorkflowId,
  recordPickupUpdate,
} from '../../workflows/definitions';
import { ACTIVITY_PROFILE, PROFILES, type ActivityProfile } from '../../workflows/activity-profiles';
import { hex, insertCardUser, insertCompany } from '../support/fixtures';
import { recordHistory } from '../support/histories';
import { publishedState } from '../support/published-state';
import { eventually } from '../support/servers';
import { useWorkflowHarness, updateRefusal as refusal } from '../support/workflow-harness';

const calendar = new BusinessCalendar(DEFAULT_RULES);
/** Every workflow this file started, for the activity-profile check at the end. */
const started: string[] = [];

const h = useWorkflowHarness({ workflowsPath: require.resolve('./card-workflows') });

const at = (day: IsoDay, time: Parameters<BusinessCalendar['atLocalTime']>[1]): Date => calendar.atLocalTime(day, time);
const pinFrom = (text: string): string => /PIN code is:\s*(\d{4})/.exec(text)?.[1] ?? '';

/** An urgent-pickup application of a company with an approved contract and a card user. */
async function apply(cardType: 'PortKey' | 'CargoCard' = 'PortKey') {
  const company = await insertCompany(h.db.models);
  const user = await insertCardUser(h.db.models, company.companyId);
  const applicationId = `ca_${hex(12)}`;
  const handle = await h.env.client.workflow.start<typeof cardApplication>('cardApplication', {
    taskQueue: h.taskQueue,
    workflowId: cardApplicationWorkflowId(applicationId),
    args: [{
      applicationId, companyId: company.companyId, customerNumber: 'C0000001', xsId: user.xsId, cardType,
      deliveryMethod: 'urgent-pickup', destination: 'NL', submittedAt: new Date(await h.env.currentTimeMs()).toISOString(),
    }],
  });
  started.push(cardApplicationWorkflowId(applicationId), pickupHoldWorkflowId(applicationId));
  return {
    applicationId,
    xsId: user.xsId,
    handle,
    hold: h.env.client.workflow.getHandle<typeof pickupHold>(pickupHoldWorkflowId(applicationId)),
    /** By Query, checked against the memo's copy (published-state.ts). */
    state: () => publishedState(handle, cardApplicationStateQuery, MEMO.application),
    mailsToContact: () => h.receiver.messages.filter((m) => m.to.includes(company.contact)),
    record: () => h.db.models.CardApplication.findById(applicationId).lean(),
    /** The one line the Web UI shows (the SDK's metadata query). */
    currentDetails: async () => (await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails ?? '',
  };
}

const phase = (c: Awaited<ReturnType<typeof apply>>, expected: string) =>
  eventually(async () => {
    const s = await c.state();
    return s.phase === expected ? s : undefined;
  });

// Runs first: after an activation in this file, the time-skipping server stops skipping (see the commit log).
test('a CargoCard blocked while held (its licence expired) keeps its block through the pickup and cannot be activated, even with its PIN', async () => {
  const day = await h.workingDayAhead();
  const c = await apply('CargoCard');
  await h.sleepUntil(at(day, '09:00'));
  await c.handle.executeUpdate(approveByBackofficeUpdate, { args: [{ approvedBy: 'bo-1' }] });
  await c.handle.executeUpdate(approveByCardUserUpdate, { args: [{ approvedBy: c.xsId }] });
  const held = await phase(c, 'held-for-pickup');
  await eventually(async () => c.mailsToContact().some((m) => /^PIN code/.test(m.subject)));
  const pin = pinFrom(c.mailsToContact().find((m) => /^PIN code/.test(m.subject))!.text);

  // What the licence watch does to every CargoCard of the company not in use (activities/licences.ts).
  const reason = 'transport licence TL-1 expired on 2026-11-30';
  await h.db.models.Card.updateOne({ _id: held.cardNumber }, { $set: { status: 'blocked', blockedAt: new Date(), blockReason: reason } });

  await h.sleepUntil(at(day, '09:30'));
  await c.hold.executeUpdate(recordPickupUpdate, { args: [{ collectedBy: 'Anna de Vries' }] });
  await phase(c, 'collected');
  expect(await h.db.models.Card.findById(held.cardNumber).lean()).toMatchObject({ status: 'blocked', blockReason: reason, collectedBy: 'Anna de Vries' });

  const refused = await refusal(c.handle.executeUpdate(activateUpdate, { args: [{ pin }] }));
  expect(refused.type).toBe(FailureType.Conflict);
  expect(refused.message).toContain(`card ${held.cardNumber} is blocked (${reason})`);
  expect(await c.state()).toMatchObject({ phase: 'collected', failedPinAttempts: 0 });
  expect((await h.db.models.Card.findById(held.cardNumber).lean())?.status).toBe('blocked');
});

test(`PIN attempts: ${MAX_PIN_ATTEMPTS} wrong PINs lock activation (the contact is told once), every further attempt is refused without checking, a new PIN from customer service unlocks it and only the new PIN activates`, async () => {
  const day = await h.workingDayAhead();
  const c = await apply();
  await h.sleepUntil(at(day, '09:00'));
  await c.handle.executeUpdate(approveByBackofficeUpdate, { args: [{ approvedBy: 'bo-1' }] });
  await c.handle.executeUpdate(approveByCardUserUpdate, { args: [{ approvedBy: c.xsId }] });
  const held = await phase(c, 'held-for-pickup');
  await eventually(async () => c.mailsToContact().some((m) => /^PIN code/.test(m.subject)));
  const firstPin = pinFrom(c.mailsToContact().find((m) => /^PIN code/.test(m.subject))!.text);
  const notThe = (pin: string) => String((Number(pin) + 1) % 10_000).padStart(4, '0');
  const verifications = async () =>
    (await c.handle.fetchHistory()).events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'verifyCardPin').length;

  // Before the card is produced there is nothing to reissue; before collection nothing to activate.
  await h.sleepUntil(at(day, '09:30'));
  await c.hold.executeUpdate(recordPickupUpdate, { args: [{ collectedBy: 'Anna de Vries' }] });
  await phase(c, 'collected');

  for (let attempt = 1; attempt <= MAX_PIN_ATTEMPTS; attempt++) {
    const wrong = await refusal(c.handle.executeUpdate(activateUpdate, { args: [{ pin: notThe(firstPin) }] }));
    expect(wrong.type).toBe(FailureType.BusinessRule);
  }
  expect(await verifications()).toBe(MAX_PIN_ATTEMPTS);
  const locked = await c.state();
  expect(locked).toMatchObject({ phase: 'collected', failedPinAttempts: MAX_PIN_ATTEMPTS, pinLockedAt: expect.any(String) });
  const lockMails = await eventually(async () => {
    const mails = c.mailsToContact().filter((m) => /^Activation of card .* is locked$/.test(m.subject));
    return mails.length ? mails : undefined;
  });
  expect(lockMails).toHaveLength(1);
  const details = await c.currentDetails();
  expect(details).toContain(`activation LOCKED after ${MAX_PIN_ATTEMPTS} wrong PINs`);
  expect(await c.record()).toMatchObject({ pin: { failedAttempts: MAX_PIN_ATTEMPTS, reissued: 0, lockedAt: expect.any(Date) } });

  // The 4th attempt, even with the right PIN, is refused without checking: no verification, no new event.
  for (const pin of [notThe(firstPin), firstPin]) {
    const refused = await refusal(c.handle.executeUpdate(activateUpdate, { args: [{ pin }] }));
    expect(refused.type).toBe(FailureType.Conflict);
    expect(refused.message).toContain('customer service issues a new PIN');
  }
  expect(await verifications()).toBe(MAX_PIN_ATTEMPTS);

  // Customer service issues a new PIN: mailed to the contact, the counter reset, activation unlocked.
  expect((await refusal(c.handle.executeUpdate(issueNewPinUpdate, { args: [{ requestedBy: ' ' }] }))).type).toBe(FailureType.InvalidInput);
  const reissued = await c.handle.executeUpdate(issueNewPinUpdate, { args: [{ requestedBy: 'cs-7' }] });
  expect(reissued).toMatchObject({ cardNumber: held.cardNumber, issue: 1 });
  const newPinMail = await eventually(async () => c.mailsToContact().find((m) => /^PIN code/.test(m.subject) && /new PIN code was issued/.test(m.text)));
  const newPin = pinFrom(newPinMail.text);
  expect(newPin).toMatch(/^\d{4}$/);
  expect(await c.state()).toMatchObject({ failedPinAttempts: 0, pinsReissued: 1 });
  expect((await c.state()).pinLockedAt).toBeUndefined();
  expect((await h.db.models.Card.findById(held.cardNumber).lean())?.pinForDelivery).toBeUndefined();

  // The old PIN no longer works (unless the new one happens to be the same 4 digits), the new one activates.
  if (newPin !== firstPin) {
    const old = await refusal(c.handle.executeUpdate(activateUpdate, { args: [{ pin: firstPin }] }));
    expect(old.type).toBe(FailureType.BusinessRule);
    expect(await c.state()).toMatchObject({ failedPinAttempts: 1 });
  }
  const activated = await c.handle.executeUpdate(activateUpdate, { args: [{ pin: newPin }] });
  expect(activated.cardNumber).toBe(held.cardNumber);
  expect(await c.handle.result()).toMatchObject({ cardNumber: held.cardNumber });
  expect(c.mailsToContact().filter((m) => /is locked$/.test(m.subject))).toHaveLength(1);
  await recordHistory(c.handle, 'card-application-pin-locked-reissued'); // holds the pin-attempts-lock patch marker
});

test('every activity these workflows scheduled carries the timeouts and retry policy of its profile (workflows/activity-profiles.ts)', async () => {
  const ms = (d: { seconds?: unknown; nanos?: number | null } | null | undefined) => (d ? Number(d.seconds ?? 0) * 1000 + (d.nanos ?? 0) / 1e6 : undefined);
  const seen = new Set<string>();
  for (const workflowId of started) {
    const history = await h.env.client.workflow.getHandle(workflowId).fetchHistory().catch(() => undefined);
    for (const event of history?.events ?? []) {
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (!scheduled) continue;
      const type = scheduled.activityType!.name! as keyof typeof ACTIVITY_PROFILE;
      const profile: ActivityProfile = PROFILES[ACTIVITY_PROFILE[type]];
      seen.add(`${type}:${ACTIVITY_PROFILE[type]}`);
      expect({ type, startToClose: ms(scheduled.startToCloseTimeout), heartbeat: ms(scheduled.heartbeatTimeout) || undefined }).toEqual({
        type, startToClose: profile.startToCloseTimeout, heartbeat: profile.heartbeatTimeout,
      });
      if (profile.scheduleToCloseTimeout) expect({ type, scheduleToClose: ms(scheduled.scheduleToCloseTimeout) }).toEqual({ type, scheduleToClose: profile.scheduleToCloseTimeout });
      const retry = scheduled.retryPolicy!;
      expect({ type, ...retry, initialInterval: ms(retry.initialInterval), maximumInterval: ms(retry.maximumInterval), maximumAttempts: retry.maximumAttempts ?? 0 }).toMatchObject({
        type,
        initialInterval: profile.retry.initialInterval,
        maximumInterval: profile.retry.maximumInterval,
        backoffCoefficient: profile.retry.backoffCoefficient,
        maximumAttempts: 0, // unlimited: no profile gives up on an outage
        nonRetryableErrorTypes: profile.retry.nonRetryableErrorTypes,
      });
    }
  }
  // The card application meets four of the profiles: mail, database, the card bureau and the PIN check inside an Update.
  expect([...seen].map((s) => s.split(':')[1])).toEqual(expect.arrayContaining(['mail', 'database', 'cardBureau', 'insideUpdate']));
});
