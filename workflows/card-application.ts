/**
 * Card application and production (PROCESSES.md section 2).
 *
 * Received (confirmation to the company contact) -> approved by the card user
 * and the back-office, in either order -> produced when the delivery plan says
 * (PIN to the company contact, next steps to the card user) -> shipped by post,
 * or held for pickup by the child workflow `pickupHold` -> activated with the
 * PIN -> the card's life goes on in the `cardInUse` workflow.
 * The delivery rules and their decisions: domain/card-delivery.ts.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  ChildWorkflowFailure,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  setHandler,
  startChild,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { ApplicationProgress } from '../activities/cards';
import { BusinessCalendar } from '../domain/calendar';
import { approvalMoment, planDelivery, type DeliveryPlan, type PickupPlan } from '../domain/card-delivery';
import {
  applicationSearchAttributes,
  activateUpdate,
  approveByBackofficeUpdate,
  approveByCardUserUpdate,
  businessRule,
  cancelApplicationSignal,
  cardApplicationStateQuery,
  checkAtServicePointUpdate,
  collectorNamedSignal,
  convertToUrgentUpdate,
  holdEndedSignal,
  issueNewPinUpdate,
  MAX_PIN_ATTEMPTS,
  nameCollectorUpdate,
  type NewPinResult,
  pickupHoldWorkflowId,
  type Approval,
  type ApprovalResult,
  type CardApplicationInput,
  type CardApplicationResult,
  type CardApplicationState,
  type CancellationRequest,
  type ConversionInput,
  type ConversionResult,
} from './definitions';
import {
  cancelledConflict,
  cardApplicationStatus,
  deliveryEmailData,
  startCardInUse,
  validateActivation,
  validateApproval,
  validateCollector,
  validateConversion,
  validateNewPin,
  validateServicePointCheck,
} from './card-application-support';
import { pickupHold } from './pickup-hold';
import { acts, loadRules, showStatus } from './support';

const now = (): string => new Date().toISOString();
/** Activation locks at the last wrong PIN (runs recorded before that never locked). */
const PIN_LOCK_PATCH = 'pin-attempts-lock';
/**
 * The rules of the application are checked again when both approvals are in and before production, a CargoCard
 * application makes sure its company's licence watch runs, and a cancellation ends the application (runs
 * recorded before that did none of it).
 */
const INTEGRITY_PATCH = 'application-integrity';
/**
 * Fewer activities from approval to produced card (issue 13): a card produced at once is recorded in
 * production with its approval moment and plan by the production activity itself (no separate
 * "awaiting production" write, no second rules check moments after the first), the production
 * activity records the card on the application, and the PIN mail's activity forgets the PIN.
 */
const FEWER_STEPS_PATCH = 'card-application-fewer-steps';

export async function cardApplication(input: CardApplicationInput): Promise<CardApplicationResult> {
  // Handlers are set before the first await: an Update sent right after the start finds them.
  let calendar!: BusinessCalendar;
  const loaded = loadRules().then((rules) => void (calendar = new BusinessCalendar(rules)));
  const { applicationId, companyId, xsId, cardType } = input;
  const workflowId = workflowInfo().workflowId;
  const state: CardApplicationState = {
    applicationId, companyId, xsId, cardType,
    deliveryMethod: input.deliveryMethod,
    destination: input.destination,
    phase: 'awaiting-approvals',
    submittedAt: input.submittedAt,
    approvals: {},
    failedPinAttempts: 0,
  };
  let hold: ChildWorkflowHandle<typeof pickupHold> | undefined;
  let holdEnded = false;
  let activating = false;
  let pinAcceptedAt: string | undefined;
  // Known once the application is received (step 1); the PIN handlers run only after production.
  let names: { cardUserName: string; companyName: string } = { cardUserName: '', companyName: '' };
  let mailData: Record<string, string> = {};
  /** Set once the application must end without a card; the story stops at its next step (cancel()). */
  let cancellation: (CancellationRequest & { at: string }) | undefined;

  const publish = (): void => showStatus(cardApplicationStatus(state, calendar));
  // The record is written one change at a time: FerretDB rewrites the whole document on an
  // update, so two concurrent writes (an Update handler's and the main story's) could lose one.
  let writes: Promise<void> = Promise.resolve();
  const inOrder = <T>(write: () => Promise<T>): Promise<T> => {
    const done = writes.then(write);
    writes = done.then(() => undefined, () => undefined);
    return done;
  };
  const record = (progress: Omit<ApplicationProgress, 'applicationId'>): Promise<void> =>
    inOrder(() => acts.recordApplicationProgress({ applicationId, ...progress }));
  const replan = (): DeliveryPlan =>
    planDelivery(calendar, {
      approvedAt: new Date(state.approvedAt!),
      method: state.deliveryMethod,
      destination: state.destination,
      convertedToUrgentAt: state.convertedToUrgentAt ? new Date(state.convertedToUrgentAt) : undefined,
      checkedAtServicePoint: state.approvals.cardUser?.atServicePoint,
    });

  // ---- What the API and operators can do -------------------------------------------
  setHandler(cardApplicationStateQuery, () => state);
  const approve = async (party: 'cardUser' | 'backoffice', approval: Approval): Promise<ApprovalResult> => {
    state.approvals[party] = approval;
    await loaded;
    publish();
    await record(party === 'cardUser' ? { cardUserApproval: approval } : { backofficeApproval: approval });
    const both = state.approvals.cardUser && state.approvals.backoffice;
    await condition(() => !both || state.plan !== undefined || state.phase === 'cancelled');
    if (state.phase === 'cancelled') throw cancelledConflict(state);
    return { approvals: state.approvals, approvedForProduction: Boolean(both), ...(state.plan ? { plan: state.plan } : {}) };
  };
  setHandler(approveByCardUserUpdate, (i) => approve('cardUser', { by: i.approvedBy.trim(), at: now() }), {
    validator: (i) => validateApproval(state, 'cardUser', i?.approvedBy),
  });
  setHandler(approveByBackofficeUpdate, (i) => approve('backoffice', { by: i.approvedBy.trim(), at: now() }), {
    validator: (i) => validateApproval(state, 'backoffice', i?.approvedBy),
  });
  setHandler(checkAtServicePointUpdate, (i) => approve('cardUser', { by: i.checkedBy.trim(), at: now(), atServicePoint: true }), {
    validator: (i) => validateServicePointCheck(state, i?.checkedBy),
  });
  setHandler(
    convertToUrgentUpdate,
    async (_request: ConversionInput): Promise<ConversionResult> => {
      await loaded;
      Object.assign(state, { deliveryMethod: 'urgent-pickup' as const, convertedToUrgentAt: now() });
      if (state.approvedAt) state.plan = replan(); // the production wait below picks up the new plan
      publish();
      await record({ deliveryMethod: state.deliveryMethod, convertedToUrgentAt: state.convertedToUrgentAt! });
      return { deliveryMethod: 'urgent-pickup', convertedAt: state.convertedToUrgentAt!, ...(state.plan ? { plan: state.plan } : {}) };
    },
    { validator: (_request: ConversionInput) => validateConversion(state) },
  );
  setHandler(
    nameCollectorUpdate,
    async ({ name }) => {
      state.collectorName = name.trim().replace(/\s+/g, ' ');
      await loaded;
      publish();
      if (hold) await hold.signal(collectorNamedSignal, { name: state.collectorName });
      await record({ collectorName: state.collectorName });
      return { collectorName: state.collectorName };
    },
    { validator: (i) => validateCollector(state, i?.name) },
  );
  // Before the hold completes, so an activation right after the pickup finds the card collected.
  setHandler(holdEndedSignal, ({ outcome, at }) => {
    holdEnded = true;
    if (outcome === 'collected') {
      Object.assign(state, { phase: 'collected', collectedAt: at });
    } else {
      const post = calendar.postPlan(new Date(at), state.destination);
      Object.assign(state, { phase: 'shipped', shippedOn: post.shipOn, expectedDeliveryBy: post.expectedDeliveryBy });
    }
    publish();
  });
  setHandler(
    activateUpdate,
    async ({ pin }) => {
      activating = true;
      try {
        // A blocked card's refusal is the answer itself (409), not an activity's failure.
        const matches = await acts.verifyCardPin({ cardNumber: state.cardNumber!, pin }).catch((err: unknown) => {
          throw err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : err;
        });
        if (!matches) {
          state.failedPinAttempts += 1;
          if (state.failedPinAttempts >= MAX_PIN_ATTEMPTS && patched(PIN_LOCK_PATCH)) await lockActivation();
          throw businessRule('the PIN code is wrong', {
            field: 'pin',
            failedAttempts: state.failedPinAttempts,
            attemptsLeft: Math.max(0, MAX_PIN_ATTEMPTS - state.failedPinAttempts),
            ...(state.pinLockedAt ? { pinLockedAt: state.pinLockedAt } : {}),
          });
        }
        pinAcceptedAt ??= now();
        await condition(() => state.phase === 'active' || state.phase === 'cancelled');
        if (state.phase === 'cancelled') throw cancelledConflict(state);
        return { cardNumber: state.cardNumber!, activatedAt: state.activatedAt!, expiresAt: state.expiresAt! };
      } finally {
        activating = false;
      }
    },
    { validator: (i) => validateActivation(state, activating || pinAcceptedAt !== undefined, i?.pin) },
  );
  setHandler(
    issueNewPinUpdate,
    async ({ requestedBy }): Promise<NewPinResult> => {
      activating = true;
      try {
        const issue = (state.pinsReissued ?? 0) + 1;
        const cardNumber = state.cardNumber!;
        const { issuedAt } = await acts.reissueCardPin({ cardNumber, issue, requestedBy: requestedBy.trim(), at: now() });
        await acts.sendCardPinEmail({ key: { workflowId, purpose: `pin-${issue}` }, companyId, cardNumber, data: { ...mailData, newPin: 'true' } });
        await acts.forgetCardPin({ cardNumber });
        Object.assign(state, { pinsReissued: issue, failedPinAttempts: 0, pinLockedAt: undefined });
        publish();
        await record({ pin: { failedAttempts: 0, lockedAt: null, reissued: issue } });
        return { cardNumber, issue, issuedAt };
      } finally {
        activating = false;
      }
    },
    { validator: (i) => validateNewPin(state, activating || pinAcceptedAt !== undefined, i?.requestedBy) },
  );

  setHandler(cancelApplicationSignal, ({ reason, by }) => {
    if (cancellation || state.phase === 'active' || typeof reason !== 'string' || !reason.trim()) return;
    cancellation = { reason: reason.trim(), by: String(by ?? 'operator'), at: now() };
  });

  /** The last wrong PIN: activation locks, and the company contact is told (once per issued PIN). */
  async function lockActivation(): Promise<void> {
    state.pinLockedAt = now();
    publish();
    await record({ pin: { failedAttempts: state.failedPinAttempts, lockedAt: state.pinLockedAt, reissued: state.pinsReissued ?? 0 } });
    await acts.sendEmail({
      key: { workflowId, purpose: `pin-locked-${state.pinsReissued ?? 0}` },
      to: { kind: 'company-contact', companyId },
      template: 'card-pin-locked',
      data: { ...mailData, cardNumber: state.cardNumber!, attempts: String(MAX_PIN_ATTEMPTS) },
    });
  }

  // ---- 1. Received ------------------------------------------------------------------
  await loaded;
  showStatus({ ...cardApplicationStatus(state, calendar), extra: applicationSearchAttributes(input, { deliveryMethod: state.deliveryMethod }) });
  names = await acts.recordApplicationReceived(input);
  mailData = { ...names, applicationId, xsId, cardType };
  await acts.sendEmail({
    key: { workflowId, purpose: 'received' },
    to: { kind: 'company-contact', companyId },
    template: 'card-application-received',
    data: { ...mailData, deliveryMethod: state.deliveryMethod },
  });
  const integrity = patched(INTEGRITY_PATCH);
  // Whatever the registration said, a company applying for a CargoCard has a running licence watch.
  if (integrity && cardType === 'CargoCard') await acts.ensureLicenceWatch({ companyId });

  // ---- 2. Approved for production by both parties, in either order: the moment A -----
  await condition(() => approvalMoment(state.approvals.cardUser?.at, state.approvals.backoffice?.at) !== undefined || cancellation !== undefined);
  if (cancellation || (integrity && (await rulesBroken('approval')))) return cancel();
  state.approvedAt = approvalMoment(state.approvals.cardUser!.at, state.approvals.backoffice!.at)!.toISOString();
  state.plan = replan();
  state.phase = 'awaiting-production';

  // ---- 3. Produced when the plan says; a conversion to urgent meanwhile re-plans -------
  const fewerSteps = patched(FEWER_STEPS_PATCH);
  /** Produced right after the approval (urgent pickup): its rules were just checked, its write is the production's. */
  let atOnce = false;
  for (let first = true; ; first = false) {
    const plan: DeliveryPlan = state.plan;
    publish();
    if (fewerSteps && first && Date.parse(plan.productionAt) <= Date.now()) {
      atOnce = true;
      break;
    }
    await record({ status: 'awaiting-production', approvedAt: state.approvedAt, plan });
    const wait = Date.parse(plan.productionAt) - Date.now();
    if (state.plan === plan && (wait <= 0 || !(await condition(() => state.plan !== plan || cancellation !== undefined, wait)))) break;
    if (cancellation) break;
  }
  if (cancellation || (integrity && !atOnce && (await rulesBroken('production')))) return cancel();
  const plan = state.plan;
  state.phase = 'in-production';
  publish();
  const producedAt = now();
  const order = { applicationId, companyId, xsId, cardType, producedAt };
  let cardNumber: string;
  if (fewerSteps) {
    // In the record's order of writes: it writes the application too.
    const recordOnApplication = atOnce ? { approvedAt: state.approvedAt, plan } : {};
    ({ cardNumber } = await inOrder(() => acts.produceCard({ ...order, recordOnApplication })));
    Object.assign(state, { cardNumber, producedAt });
    publish();
  } else {
    ({ cardNumber } = await acts.produceCard(order));
    Object.assign(state, { cardNumber, producedAt });
    publish();
    await record({ status: 'in-production', cardNumber, producedAt });
  }
  if (cancellation) return cancel(); // cancelled while in production: the PIN never goes out
  if (fewerSteps) {
    await acts.sendCardPinEmail({ key: { workflowId, purpose: 'pin' }, companyId, cardNumber, data: mailData, forgetPin: true });
  } else {
    await acts.sendCardPinEmail({ key: { workflowId, purpose: 'pin' }, companyId, cardNumber, data: mailData });
    await acts.forgetCardPin({ cardNumber });
  }
  await acts.sendEmail({
    key: { workflowId, purpose: 'next-steps' },
    to: { kind: 'card-user', xsId },
    template: 'card-next-steps',
    data: { ...mailData, cardNumber, ...deliveryEmailData(plan, calendar) },
  });

  // ---- 4. Delivery: by post at once, or held for pickup ------------------------------
  if (cancellation) return cancel();
  if (plan.method === 'post') {
    Object.assign(state, { phase: 'shipped', shippedOn: plan.shipOn, expectedDeliveryBy: plan.expectedDeliveryBy });
    publish();
    await acts.recordCardHandover({ cardNumber, status: 'shipped', at: now(), shippedOn: plan.shipOn });
    await record({ status: 'shipped', shippedOn: plan.shipOn, expectedDeliveryBy: plan.expectedDeliveryBy });
    await acts.sendEmail({
      key: { workflowId, purpose: 'shipped' },
      to: { kind: 'company-contact', companyId },
      template: 'card-shipped',
      data: { ...mailData, cardNumber, shippedOn: plan.shipOn, expectedDeliveryBy: plan.expectedDeliveryBy },
    });
  } else {
    await holdForPickup(plan, cardNumber, names);
  }

  // ---- 5. Activated with ID, card and PIN; then the card is in use ----------------------
  publish();
  await condition(() => pinAcceptedAt !== undefined || cancellation !== undefined);
  if (cancellation) return cancel();
  const activatedAt = pinAcceptedAt!;
  const expiresAt = calendar.cardExpiresAt(new Date(activatedAt)).toISOString();
  await acts.recordCardActivated({ cardNumber, activatedAt, expiresAt });
  await record({ status: 'active', activatedAt, expiresAt });
  await startCardInUse({ cardNumber, applicationId, companyId, customerNumber: input.customerNumber, xsId, cardType, activatedAt, expiresAt });
  Object.assign(state, { phase: 'active', activatedAt, expiresAt });
  publish();
  await condition(allHandlersFinished);
  return { applicationId, cardNumber, activatedAt, expiresAt };

  /** Asks the rules again at a step (domain/card-preconditions.ts); a broken one cancels the application. */
  async function rulesBroken(step: 'approval' | 'production'): Promise<boolean> {
    const breaches = await acts.checkApplicationPreconditions({ companyId, xsId, cardType, today: calendar.dayOf(new Date()) });
    if (breaches.length === 0) return false;
    cancellation = { reason: `checked at ${step}: ${breaches.map((b) => b.message).join('; ')}`, by: 'card-application', at: now() };
    return true;
  }

  /**
   * Ends the application without an active card: the pickup hold (if any) stops, a produced card is blocked,
   * the record says why and the company contact gets one email saying why.
   */
  async function cancel(): Promise<CardApplicationResult> {
    const { reason, by, at } = cancellation!;
    Object.assign(state, { phase: 'cancelled', cancelledAt: at, cancellationReason: reason });
    publish();
    if (state.cardNumber) await acts.blockCardOfCancelledApplication({ cardNumber: state.cardNumber, at, reason });
    await record({ status: 'cancelled', cancelledAt: at, cancellationReason: reason });
    await acts.sendEmail({
      key: { workflowId, purpose: 'cancelled' },
      to: { kind: 'company-contact', companyId },
      template: 'card-application-cancelled',
      data: { ...mailData, reason, cancelledBy: by, ...(state.cardNumber ? { cardNumber: state.cardNumber } : {}) },
    });
    await condition(allHandlersFinished);
    return { applicationId, outcome: 'cancelled', cancelledAt: at, reason, ...(state.cardNumber ? { cardNumber: state.cardNumber } : {}) };
  }

  /** The pickup hold runs as a child; it signals its end (holdEndedSignal) before it completes. */
  async function holdForPickup(pickup: PickupPlan, cardNumber: string, names: { cardUserName: string; companyName: string }): Promise<void> {
    state.phase = 'held-for-pickup';
    publish();
    const named = state.collectorName;
    hold = await startChild(pickupHold, {
      workflowId: pickupHoldWorkflowId(applicationId),
      args: [{ applicationId, companyId, xsId, ...names, cardNumber, cardType, destination: state.destination, plan: pickup, ...(named ? { collectorName: named } : {}) }],
      typedSearchAttributes: applicationSearchAttributes(input, { cardNumber, deliveryMethod: pickup.method }),
    });
    if (state.collectorName && state.collectorName !== named) await hold.signal(collectorNamedSignal, { name: state.collectorName });
    await record({ status: 'held-for-pickup' });
    // A cancellation stops the hold: the card is no longer handed over. The hold signals its end before it
    // completes (holdEndedSignal), so waiting for either adds no command to the histories of earlier runs.
    await condition(() => holdEnded || cancellation !== undefined);
    if (!holdEnded) {
      try {
        await getExternalWorkflowHandle(hold.workflowId).cancel();
      } catch (err) {
        log.info('the pickup hold ended before its cancellation', { error: String(err) }); // its result says how
      }
    }
    const ended = await hold.result().catch((err: unknown) => {
      if (cancellation && err instanceof ChildWorkflowFailure && isCancellation(err.cause)) return undefined;
      throw err;
    });
    hold = undefined;
    if (!ended) return;
    if (ended.outcome === 'collected') {
      Object.assign(state, { phase: 'collected', collectedAt: ended.at, collectedBy: ended.collectedBy });
      await record({ status: 'collected', collectedAt: ended.at, collectedBy: ended.collectedBy });
    } else {
      Object.assign(state, { phase: 'shipped', shippedOn: ended.shippedOn, expectedDeliveryBy: ended.expectedDeliveryBy });
      await record({ status: 'shipped', shippedOn: ended.shippedOn, expectedDeliveryBy: ended.expectedDeliveryBy });
    }
  }
}
