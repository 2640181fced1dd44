/**
 * Helpers of the card-application and pickup-hold workflows: the Update
 * validators (why a request is refused), what operators see (phase, next due
 * moment, one line of details), and the delivery data the emails show.
 * Deterministic; imported by workflow code only.
 */
import { ParentClosePolicy, startChild } from '@temporalio/workflow';
import type { BusinessCalendar } from '../domain/calendar';
import { mayCollect, type DeliveryPlan } from '../domain/card-delivery';
import {
  businessRule,
  cardInUseWorkflowId,
  applicationSearchAttributes,
  conflict,
  invalidInput,
  MAX_PIN_ATTEMPTS,
  PIN_PATTERN,
  SA,
  type CardApplicationInput,
  type CardApplicationState,
  type CardInUseInput,
  type PickupHoldInput,
  type PickupHoldState,
} from './definitions';
import { requireText, type Status } from './support';

/** Where a new application stands: awaiting both approvals. */
export function newApplicationState(input: CardApplicationInput): CardApplicationState {
  const { applicationId, companyId, xsId, cardType, deliveryMethod, destination, submittedAt } = input;
  return {
    applicationId, companyId, xsId, cardType, deliveryMethod, destination,
    phase: 'awaiting-approvals',
    submittedAt,
    approvals: {},
    failedPinAttempts: 0,
  };
}

// ---- Validators -------------------------------------------------------------------

const PARTY = { cardUser: 'card user', backoffice: 'back-office' } as const;

/** The answer to anything asked of a cancelled application: 409, with when and why. */
export function cancelledConflict(state: CardApplicationState) {
  return conflict(`the application was cancelled on ${state.cancelledAt}: ${state.cancellationReason}`, {
    cancelledAt: state.cancelledAt,
    reason: state.cancellationReason,
  });
}

function refuseCancelled(state: CardApplicationState): void {
  if (state.phase === 'cancelled') throw cancelledConflict(state);
}

export function validateApproval(state: CardApplicationState, party: keyof typeof PARTY, by: unknown, field = 'approvedBy'): void {
  requireText(by, field);
  refuseCancelled(state);
  const earlier = state.approvals[party];
  if (earlier) {
    const how = earlier.atServicePoint ? ' (checked at the service point)' : '';
    throw conflict(`the ${PARTY[party]} already approved this application on ${earlier.at}${how}`, { approvedAt: earlier.at });
  }
  if (state.phase !== 'awaiting-approvals') throw conflict(`the application is ${state.phase}: approvals are closed`);
}

export function validateServicePointCheck(state: CardApplicationState, checkedBy: unknown): void {
  requireText(checkedBy, 'checkedBy');
  if (state.deliveryMethod !== 'urgent-pickup') {
    throw businessRule('only an urgent pickup is checked at the service point on the card user\'s behalf', { field: 'by' });
  }
  validateApproval(state, 'cardUser', checkedBy, 'checkedBy');
}

export function validateConversion(state: CardApplicationState): void {
  refuseCancelled(state);
  if (state.deliveryMethod === 'urgent-pickup') throw conflict('the application is already urgent');
  if (state.phase !== 'awaiting-approvals' && state.phase !== 'awaiting-production') {
    throw conflict(`the card was already produced (${state.producedAt ?? 'in production'}); it can no longer be converted to urgent`);
  }
}

export function validateCollector(state: CardApplicationState, name: unknown): void {
  requireText(name, 'name');
  refuseCancelled(state);
  if (state.phase === 'collected' || state.phase === 'shipped' || state.phase === 'active') {
    throw conflict(`the card was already ${state.phase === 'active' ? 'activated' : state.phase}: it is no longer collected`);
  }
  if (state.deliveryMethod === 'post') throw businessRule('the card is sent by post: nobody collects it', { field: 'name' });
}

export function validateActivation(state: CardApplicationState, inProgress: boolean, pin: unknown): void {
  if (typeof pin !== 'string' || !PIN_PATTERN.test(pin)) throw invalidInput('pin must be the 4-digit PIN code', { field: 'pin' });
  refuseCancelled(state);
  if (state.phase === 'active') throw conflict(`the card was already activated on ${state.activatedAt}`);
  if (inProgress) throw conflict('an activation of this card is in progress');
  if (state.phase !== 'collected' && state.phase !== 'shipped') {
    throw conflict(`a card is activated once it was collected or shipped; this application is ${state.phase}`);
  }
  if (state.pinLockedAt) {
    throw conflict(`activation is locked after ${MAX_PIN_ATTEMPTS} wrong PINs (since ${state.pinLockedAt}): customer service issues a new PIN`, {
      pinLockedAt: state.pinLockedAt,
    });
  }
}

/** A new PIN for a produced card not yet activated (locked or not: a PIN letter can be lost too). */
export function validateNewPin(state: CardApplicationState, inProgress: boolean, requestedBy: unknown): void {
  requireText(requestedBy, 'requestedBy');
  refuseCancelled(state);
  if (state.phase === 'active') throw conflict(`the card was already activated on ${state.activatedAt}: its PIN is the card user's`);
  if (!state.cardNumber || state.phase === 'in-production') throw conflict(`no card was produced yet for this application (${state.phase})`);
  if (inProgress) throw conflict('an activation or a new PIN of this card is in progress');
}

export function validatePickup(
  state: PickupHoldState,
  input: PickupHoldInput,
  calendar: BusinessCalendar | undefined,
  alreadyRecorded: boolean,
  collectedBy: unknown,
): void {
  const when = (iso: string) => calendar?.localDateTime(iso) ?? iso;
  requireText(collectedBy, 'collectedBy');
  if (alreadyRecorded || state.phase === 'collected') throw conflict('the card was already collected');
  const now = Date.now();
  if (state.phase !== 'held' || now >= Date.parse(state.plan.holdUntil)) {
    throw conflict(`the hold ended at ${when(state.plan.holdUntil)}: the card goes to the post`);
  }
  if (now < Date.parse(state.plan.pickupFrom)) {
    throw conflict(`the card can be collected from ${when(state.plan.pickupFrom)}`);
  }
  const who = { cardUserName: input.cardUserName, xsId: input.xsId, collectorName: state.collectorName };
  if (!mayCollect(collectedBy as string, who)) {
    throw businessRule('only the card user or the collector the company named in advance may collect the card', { field: 'collectedBy' });
  }
}

// ---- What operators see --------------------------------------------------------------

function planLine(plan: DeliveryPlan, calendar: BusinessCalendar): string {
  if (plan.method === 'post') return `shipped by post on ${plan.shipOn}, expected delivery by ${plan.expectedDeliveryBy}`;
  const arrive = plan.arriveBy ? `; checked at the service point: the card user must arrive by ${calendar.localDateTime(plan.arriveBy)}` : '';
  return `ready for ${plan.method} on ${plan.readyOn} from ${calendar.localDateTime(plan.pickupFrom).slice(11)} until ${calendar.localDateTime(plan.pickupUntil).slice(11)}${arrive}`;
}

export function cardApplicationStatus(s: CardApplicationState, calendar: BusinessCalendar): Status {
  const at = (iso: string | undefined) => (iso ? calendar.localDateTime(iso) : '?');
  const extra = [
    { key: SA.deliveryMethod, value: s.deliveryMethod },
    ...(s.cardNumber ? [{ key: SA.cardNumber, value: s.cardNumber }] : []),
  ];
  const status = (details: string, nextDueAt: string | undefined = undefined): Status => ({
    phase: s.phase,
    nextDueAt: nextDueAt ? new Date(nextDueAt) : null,
    details,
    extra,
  });
  switch (s.phase) {
    case 'awaiting-approvals': {
      const missing = [
        !s.approvals.cardUser && (s.deliveryMethod === 'urgent-pickup' ? 'the card user (or a check at the service point)' : 'the card user'),
        !s.approvals.backoffice && 'the back-office',
      ].filter(Boolean);
      return status(`Waiting for the approval of ${missing.join(' and ')} (received ${at(s.submittedAt)})`);
    }
    case 'awaiting-production': {
      const convertible = s.deliveryMethod === 'urgent-pickup' ? '' : ' (can still be converted to urgent)';
      return status(`Approved ${at(s.approvedAt)}; production at ${at(s.plan?.productionAt)}${convertible}, then ${planLine(s.plan!, calendar)}`, s.plan?.productionAt);
    }
    case 'in-production':
      return status(`Producing the ${s.cardType} (approved ${at(s.approvedAt)})`);
    case 'held-for-pickup': {
      const plan = s.plan!.method === 'post' ? undefined : s.plan!;
      const collector = s.collectorName ? `; ${s.collectorName} may collect it` : '';
      return status(
        `Card ${s.cardNumber} held for pickup: ${plan ? planLine(plan, calendar) : ''}; held until ${at(plan?.holdUntil)}, ` +
          `then to the post on ${plan?.toPostOn}${collector}`,
        plan?.holdUntil,
      );
    }
    case 'shipped':
      return status(`Card ${s.cardNumber} shipped by post on ${s.shippedOn}, expected by ${s.expectedDeliveryBy}; ${activationWait(s, at)}`);
    case 'collected':
      return status(`Card ${s.cardNumber} collected ${at(s.collectedAt)}${s.collectedBy ? ` by ${s.collectedBy}` : ''}; ${activationWait(s, at)}`);
    case 'active':
      return status(`Card ${s.cardNumber} active since ${at(s.activatedAt)}, valid until ${at(s.expiresAt)}`);
    case 'cancelled':
      return status(`Cancelled ${at(s.cancelledAt)}${s.cardNumber ? ` (card ${s.cardNumber} blocked)` : ''}: ${s.cancellationReason}`);
  }
}

function activationWait(s: CardApplicationState, at: (iso: string | undefined) => string): string {
  if (s.pinLockedAt) return `activation LOCKED after ${MAX_PIN_ATTEMPTS} wrong PINs (${at(s.pinLockedAt)}): waiting for customer service to issue a new PIN`;
  const tries = s.failedPinAttempts ? ` (${s.failedPinAttempts} of ${MAX_PIN_ATTEMPTS} wrong PINs)` : '';
  return `waiting for activation with ID, card and PIN${tries}`;
}

export function pickupHoldStatus(s: PickupHoldState, calendar: BusinessCalendar): Status {
  const at = (iso: string) => calendar.localDateTime(iso);
  const collector = s.collectorName ? ` or ${s.collectorName}` : '';
  switch (s.phase) {
    case 'held':
      return {
        phase: 'held-for-pickup',
        nextDueAt: new Date(s.plan.holdUntil),
        details: `Waiting for the card user${collector} to collect card ${s.cardNumber}: from ${at(s.plan.pickupFrom)} until ${at(s.plan.holdUntil)}` +
          (s.plan.arriveBy ? ` (must arrive by ${at(s.plan.arriveBy)})` : ''),
      };
    case 'awaiting-post':
      return {
        phase: 'awaiting-post',
        nextDueAt: null,
        details: `Not collected by ${at(s.plan.holdUntil)}: card ${s.cardNumber} goes to the post on ${s.plan.toPostOn}`,
      };
    case 'collected':
      return { phase: 'collected', nextDueAt: null, details: `Card ${s.cardNumber} collected ${at(s.collectedAt!)} by ${s.collectedBy}` };
    case 'to-post':
      return {
        phase: 'to-post',
        nextDueAt: null,
        details: `Card ${s.cardNumber} not collected; sent by post on ${s.shippedOn}, expected by ${s.expectedDeliveryBy}`,
      };
  }
}

// ---- Email data -----------------------------------------------------------------------

/** How the card reaches its user, for the email templates (email/templates/cards.ts). */
export function deliveryEmailData(plan: DeliveryPlan, calendar: BusinessCalendar): Record<string, string> {
  if (plan.method === 'post') return { deliveryMethod: 'post', shipOn: plan.shipOn, expectedDeliveryBy: plan.expectedDeliveryBy };
  return {
    deliveryMethod: plan.method,
    readyOn: plan.readyOn,
    pickupFrom: calendar.localDateTime(plan.pickupFrom).slice(11),
    pickupUntil: calendar.localDateTime(plan.pickupUntil).slice(11),
    holdUntil: calendar.localDateTime(plan.holdUntil),
    ...(plan.arriveBy ? { arriveBy: calendar.localDateTime(plan.arriveBy).slice(11) } : {}),
  };
}

// ---- Search attributes and the card's next workflow ---------------------------------------

/**
 * Section 3 takes over once the card is active: the card's own workflow,
 * started by name (another process implements it) and left running when the
 * application completes.
 */
export async function startCardInUse(card: CardInUseInput): Promise<void> {
  await startChild<(i: CardInUseInput) => Promise<unknown>>('cardInUse', {
    workflowId: cardInUseWorkflowId(card.cardNumber),
    args: [card],
    parentClosePolicy: ParentClosePolicy.ABANDON,
    typedSearchAttributes: applicationSearchAttributes(card, { cardNumber: card.cardNumber }),
  });
}
