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
  ActivityFailure, allHandlersFinished, ApplicationFailure, ChildWorkflowFailure, condition, getExternalWorkflowHandle, isCancellation,
  log, patched, setHandler, startChild, workflowInfo, type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { ApplicationProgress } from '../activities/cards';
import { approvalMoment, planDelivery, type DeliveryPlan, type PickupPlan } from '../domain/card-delivery';
import {
  applicationSearchAttributes, activateUpdate, approveByBackofficeUpdate, approveByCardUserUpdate, businessRule,
  cancelApplicationSignal, cardApplicationStateQuery, checkAtServicePointUpdate, collectorNamedSignal,
  convertToUrgentUpdate, holdEndedSignal, issueNewPinUpdate, MAX_PIN_ATTEMPTS, MEMO, nameCollectorUpdate, type NewPinResult,
  pickupHoldWorkflowId, type Approval, type ApprovalResult, type CardApplicationInput, type CardApplicationResult,
  type CancellationRequest, type ConversionInput, type ConversionResult
} from './definitions';
import {
  cancelledConflict, cardApplicationStatus, deliveryEmailData, newApplicationState, startCardInUse, validateActivation,
  validateApproval, validateCollector, validateConversion, validateNewPin, validateServicePointCheck,
} from './card-application-support';
import { pickupHold } from './pickup-hold';
import { acts, calendarLoader, inOrder, now, showStatus } from './support';

export async function cardApplication(input: CardApplicationInput): Promise<CardApplicationResult> {
  const { loaded, calendar } = calendarLoader();
  const { applicationId, companyId, xsId, cardType } = input;
  const workflowId = workflowInfo().workflowId;
  const state = newApplicationState(input);
  let hold: ChildWorkflowHandle<typeof pickupHold> | undefined;
  let [holdEnded, activating] = [false, false];
  let pinAcceptedAt: string | undefined;
  // Known once the application is received (step 1); the PIN handlers run only after production.
  let [names, mailData]: [{ cardUserName: string; companyName: string }, Record<string, string>] = [{ cardUserName: '', companyName: '' }, {}];
  /** Set once the application must end without a card; the story stops at its next step (cancel()). */
  let cancellation: (CancellationRequest & { at: string }) | undefined;
  // The patches in force for this run (asked at the step they guard); the produced card and its plan.
  let [integrity, fewerSteps] = [false, false];
  let produced!: { cardNumber: string; plan: DeliveryPlan };
  const inRecordOrder = inOrder();

  handlers(); // before the first await: an Update sent right after the start finds them

  // ---- The story: each step answers whether the application goes on; if not, it is cancelled ----
  await received();
  const goesOn = (await approvedByBoth()) && (await producedWhenPlanned()) && (await delivered()) && (await activatedWithPin());
  return goesOn ? active() : cancel();

  // ---- 1. Received ------------------------------------------------------------------
  async function received(): Promise<void> {
    await loaded;
    publish(applicationSearchAttributes(input, { deliveryMethod: state.deliveryMethod }));
    names = await acts.recordApplicationReceived(input);
    mailData = { ...names, applicationId, xsId, cardType };
    await acts.sendEmail({
      key: { workflowId, purpose: 'received' },
      to: { kind: 'company-contact', companyId },
      template: 'card-application-received',
      data: { ...mailData, deliveryMethod: state.deliveryMethod },
    });
    integrity = patched(INTEGRITY_PATCH);
    // Whatever the registration said, a company applying for a CargoCard has a running licence watch.
    if (integrity && cardType === 'CargoCard') await acts.ensureLicenceWatch({ companyId });
  }

  // ---- 2. Approved for production by both parties, in either order: the moment A -----
  async function approvedByBoth(): Promise<boolean> {
    await condition(() => approvalMoment(state.approvals.cardUser?.at, state.approvals.backoffice?.at) !== undefined || cancellation !== undefined);
    if (cancellation || (integrity && (await rulesBroken('approval')))) return false;
    state.approvedAt = approvalMoment(state.approvals.cardUser!.at, state.approvals.backoffice!.at)!.toISOString();
    state.plan = replan();
    state.phase = 'awaiting-production';
    return true;
  }

  // ---- 3. Produced when the plan says; a conversion to urgent meanwhile re-plans -------
  async function producedWhenPlanned(): Promise<boolean> {
    fewerSteps = patched(FEWER_STEPS_PATCH);
    const atOnce = await untilProductionMoment();
    if (cancellation || (integrity && !atOnce && (await rulesBroken('production')))) return false;
    const plan = state.plan!;
    state.phase = 'in-production';
    publish();
    const cardNumber = await produceCard(plan, atOnce);
    produced = { cardNumber, plan };
    if (cancellation) return false; // cancelled while in production: the PIN never goes out
    await sendPin(cardNumber);
    await acts.sendEmail({
      key: { workflowId, purpose: 'next-steps' },
      to: { kind: 'card-user', xsId },
      template: 'card-next-steps',
      data: { ...mailData, cardNumber, ...deliveryEmailData(plan, calendar()) },
    });
    return true;
  }

  // ---- 4. Delivery: by post at once, or held for pickup ------------------------------
  async function delivered(): Promise<boolean> {
    if (cancellation) return false;
    const { plan, cardNumber } = produced;
    if (plan.method === 'post') await shipByPost(plan, cardNumber);
    else await holdForPickup(plan, cardNumber, names);
    return true;
  }

  // ---- 5. Activated with ID, card and PIN; then the card is in use ----------------------
  async function activatedWithPin(): Promise<boolean> {
    publish();
    await condition(() => pinAcceptedAt !== undefined || cancellation !== undefined);
    return !cancellation;
  }

  async function active(): Promise<CardApplicationResult> {
    const { cardNumber } = produced;
    const activatedAt = pinAcceptedAt!;
    const expiresAt = calendar().cardExpiresAt(new Date(activatedAt)).toISOString();
    await acts.recordCardActivated({ cardNumber, activatedAt, expiresAt });
    await record({ status: 'active', activatedAt, expiresAt });
    await startCardInUse({ cardNumber, applicationId, companyId, customerNumber: input.customerNumber, xsId, cardType, activatedAt, expiresAt });
    Object.assign(state, { phase: 'active', activatedAt, expiresAt });
    publish();
    await condition(allHandlersFinished);
    return { applicationId, cardNumber, activatedAt, expiresAt };
  }

  // ---- The steps' parts ---------------------------------------------------------------

  /** Where the application stands: its status line and search attributes, and (patched) its state in the memo. */
  function publish(extra?: SearchAttributeUpdatePair[]): void {
    const status = cardApplicationStatus(state, calendar());
    const memo = patched(STATE_IN_MEMO_PATCH) ? { [MEMO.application]: { ...state } } : undefined;
    showStatus({ ...status, ...(extra ? { extra } : {}), ...(memo ? { memo } : {}) });
  }

  /** The record is written one change at a time, in the order asked (support.ts inOrder). */
  function record(progress: Omit<ApplicationProgress, 'applicationId'>): Promise<void> {
    return inRecordOrder(() => acts.recordApplicationProgress({ applicationId, ...progress }));
  }

  function replan(): DeliveryPlan {
    return planDelivery(calendar(), {
      approvedAt: new Date(state.approvedAt!),
      method: state.deliveryMethod,
      destination: state.destination,
      convertedToUrgentAt: state.convertedToUrgentAt ? new Date(state.convertedToUrgentAt) : undefined,
      checkedAtServicePoint: state.approvals.cardUser?.atServicePoint,
    });
  }

  /**
   * Waits for the production moment of the plan in force; a new plan (a conversion to urgent) starts the wait
   * again, a cancellation ends it. Answers whether the card is produced at once after the approval (urgent
   * pickup): then nothing is recorded here, the production's own write records the approval and the plan.
   */
  async function untilProductionMoment(): Promise<boolean> {
    for (let first = true; ; first = false) {
      const plan: DeliveryPlan = state.plan!;
      publish();
      if (fewerSteps && first && Date.parse(plan.productionAt) <= Date.now()) return true;
      await record({ status: 'awaiting-production', approvedAt: state.approvedAt, plan });
      if ((await productionMomentOf(plan)) || cancellation) return false;
    }
  }

  /** True when the plan is still in force at its production moment; false as soon as it is replaced or the application is cancelled. */
  async function productionMomentOf(plan: DeliveryPlan): Promise<boolean> {
    if (state.plan !== plan) return false;
    const wait = Date.parse(plan.productionAt) - Date.now();
    return wait <= 0 || !(await condition(() => state.plan !== plan || cancellation !== undefined, wait));
  }

  async function produceCard(plan: DeliveryPlan, atOnce: boolean): Promise<string> {
    const producedAt = now();
    const order = { applicationId, companyId, xsId, cardType, producedAt };
    if (fewerSteps) {
      // In the record's order of writes: it writes the application too.
      const recordOnApplication = atOnce ? { approvedAt: state.approvedAt, plan } : {};
      const { cardNumber } = await inRecordOrder(() => acts.produceCard({ ...order, recordOnApplication }));
      Object.assign(state, { cardNumber, producedAt });
      publish();
      return cardNumber;
    }
    const { cardNumber } = await acts.produceCard(order);
    Object.assign(state, { cardNumber, producedAt });
    publish();
    await record({ status: 'in-production', cardNumber, producedAt });
    return cardNumber;
  }

  /** The PIN goes to the company contact, and is forgotten once sent. */
  async function sendPin(cardNumber: string): Promise<void> {
    if (fewerSteps) {
      await acts.sendCardPinEmail({ key: { workflowId, purpose: 'pin' }, companyId, cardNumber, data: mailData, forgetPin: true });
    } else {
      await acts.sendCardPinEmail({ key: { workflowId, purpose: 'pin' }, companyId, cardNumber, data: mailData });
      await acts.forgetCardPin({ cardNumber });
    }
  }

  async function shipByPost(plan: DeliveryPlan & { method: 'post' }, cardNumber: string): Promise<void> {
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
  }

  /** Asks the rules again at a step (domain/card-preconditions.ts); a broken one cancels the application. */
  async function rulesBroken(step: 'approval' | 'production'): Promise<boolean> {
    const breaches = await acts.checkApplicationPreconditions({ companyId, xsId, cardType, today: calendar().dayOf(new Date()) });
    if (breaches.length === 0) return false;
    cancellation = { reason: `checked at ${step}: ${breaches.map((b) => b.message).join('; ')}`, by: 'card-application', at: now() };
    return true;
  }

  // ---- What the API and operators can do: one line each, the answers follow ---------------
  function handlers(): void {
    const pinInHand = (): boolean => activating || pinAcceptedAt !== undefined;
    setHandler(cardApplicationStateQuery, () => state);
    setHandler(approveByCardUserUpdate, (i) => approve('cardUser', { by: i.approvedBy.trim(), at: now() }), {
      validator: (i) => validateApproval(state, 'cardUser', i?.approvedBy),
    });
    setHandler(approveByBackofficeUpdate, (i) => approve('backoffice', { by: i.approvedBy.trim(), at: now() }), {
      validator: (i) => validateApproval(state, 'backoffice', i?.approvedBy),
    });
    setHandler(checkAtServicePointUpdate, (i) => approve('cardUser', { by: i.checkedBy.trim(), at: now(), atServicePoint: true }), {
      validator: (i) => validateServicePointCheck(state, i?.checkedBy),
    });
    setHandler(convertToUrgentUpdate, convertToUrgent, { validator: (_request: ConversionInput) => validateConversion(state) });
    setHandler(nameCollectorUpdate, nameCollector, { validator: (i) => validateCollector(state, i?.name) });
    // Before the hold completes, so an activation right after the pickup finds the card collected.
    setHandler(holdEndedSignal, holdEndedWith);
    setHandler(activateUpdate, activate, { validator: (i) => validateActivation(state, pinInHand(), i?.pin) });
    setHandler(issueNewPinUpdate, issueNewPin, { validator: (i) => validateNewPin(state, pinInHand(), i?.requestedBy) });
    setHandler(cancelApplicationSignal, cancelAsked);
  }

  async function approve(party: 'cardUser' | 'backoffice', approval: Approval): Promise<ApprovalResult> {
    state.approvals[party] = approval;
    await loaded;
    publish();
    await record(party === 'cardUser' ? { cardUserApproval: approval } : { backofficeApproval: approval });
    const both = state.approvals.cardUser && state.approvals.backoffice;
    await condition(() => !both || state.plan !== undefined || state.phase === 'cancelled');
    if (state.phase === 'cancelled') throw cancelledConflict(state);
    return { approvals: state.approvals, approvedForProduction: Boolean(both), ...(state.plan ? { plan: state.plan } : {}) };
  }

  async function convertToUrgent(_request: ConversionInput): Promise<ConversionResult> {
    await loaded;
    Object.assign(state, { deliveryMethod: 'urgent-pickup' as const, convertedToUrgentAt: now() });
    if (state.approvedAt) state.plan = replan(); // the production wait picks up the new plan
    publish();
    await record({ deliveryMethod: state.deliveryMethod, convertedToUrgentAt: state.convertedToUrgentAt! });
    return { deliveryMethod: 'urgent-pickup', convertedAt: state.convertedToUrgentAt!, ...(state.plan ? { plan: state.plan } : {}) };
  }

  async function nameCollector({ name }: { name: string }): Promise<{ collectorName: string }> {
    state.collectorName = name.trim().replace(/\s+/g, ' ');
    await loaded;
    publish();
    if (hold) await hold.signal(collectorNamedSignal, { name: state.collectorName });
    await record({ collectorName: state.collectorName });
    return { collectorName: state.collectorName };
  }

  function holdEndedWith({ outcome, at }: { outcome: string; at: string }): void {
    holdEnded = true;
    if (outcome === 'collected') {
      Object.assign(state, { phase: 'collected', collectedAt: at });
    } else {
      const post = calendar().postPlan(new Date(at), state.destination);
      Object.assign(state, { phase: 'shipped', shippedOn: post.shipOn, expectedDeliveryBy: post.expectedDeliveryBy });
    }
    publish();
  }

  async function activate({ pin }: { pin: string }): Promise<{ cardNumber: string; activatedAt: string; expiresAt: string }> {
    activating = true;
    try {
      // A blocked card's refusal is the answer itself (409), not an activity's failure.
      const matches = await acts.verifyCardPin({ cardNumber: state.cardNumber!, pin }).catch((err: unknown) => {
        throw err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : err;
      });
      if (!matches) await wrongPin();
      pinAcceptedAt ??= now();
      await condition(() => state.phase === 'active' || state.phase === 'cancelled');
      if (state.phase === 'cancelled') throw cancelledConflict(state);
      return { cardNumber: state.cardNumber!, activatedAt: state.activatedAt!, expiresAt: state.expiresAt! };
    } finally {
      activating = false;
    }
  }

  /** A wrong PIN is counted (the last one locks activation) and refused. */
  async function wrongPin(): Promise<never> {
    state.failedPinAttempts += 1;
    if (state.failedPinAttempts >= MAX_PIN_ATTEMPTS && patched(PIN_LOCK_PATCH)) await lockActivation();
    else if (patched(STATE_IN_MEMO_PATCH)) publish(); // the count, in the status line and the memo
    throw businessRule('the PIN code is wrong', {
      field: 'pin',
      failedAttempts: state.failedPinAttempts,
      attemptsLeft: Math.max(0, MAX_PIN_ATTEMPTS - state.failedPinAttempts),
      ...(state.pinLockedAt ? { pinLockedAt: state.pinLockedAt } : {}),
    });
  }

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

  async function issueNewPin({ requestedBy }: { requestedBy: string }): Promise<NewPinResult> {
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
  }

  function cancelAsked({ reason, by }: { reason?: unknown; by?: unknown }): void {
    if (cancellation || state.phase === 'active' || typeof reason !== 'string' || !reason.trim()) return;
    cancellation = { reason: reason.trim(), by: String(by ?? 'operator'), at: now() };
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
      if (patched(STATE_IN_MEMO_PATCH)) publish(); // who collected it
      await record({ status: 'collected', collectedAt: ended.at, collectedBy: ended.collectedBy });
    } else {
      Object.assign(state, { phase: 'shipped', shippedOn: ended.shippedOn, expectedDeliveryBy: ended.expectedDeliveryBy });
      if (patched(STATE_IN_MEMO_PATCH)) publish();
      await record({ status: 'shipped', shippedOn: ended.shippedOn, expectedDeliveryBy: ended.expectedDeliveryBy });
    }
  }
}

// ---- The patches this workflow's story asks for (workflows/patches.json) ----------------

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
/**
 * The application's state is in its memo, and every change of it is published before the workflow task
 * ends (a wrong PIN's count, the hold's outcome): the API reads an application from a describe, which the
 * server answers alone, instead of a Query that has a worker replay the case (issue 13). Runs recorded
 * before that published neither.
 */
const STATE_IN_MEMO_PATCH = 'card-application-state-in-memo';
