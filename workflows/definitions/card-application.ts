/**
 * Card application, production and pickup hold (PROCESSES.md section 2).
 * Shared by the API, the workers and the workflows.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DeliveryPlan, PickupPlan } from '../../domain/card-delivery';

export type { DeliveryPlan, PickupPlan, PostPlan } from '../../domain/card-delivery';

export { CARD_TYPES, DELIVERY_METHODS, DESTINATIONS, type CardType, type DeliveryMethod, type Destination } from '../../domain/vocabulary';
import type { CardType, DeliveryMethod, Destination } from '../../domain/vocabulary';

export const cardApplicationWorkflowId = (applicationId: string): string => `card:${applicationId}`;
export const pickupHoldWorkflowId = (applicationId: string): string => `hold:${applicationId}`;

export interface CardApplicationInput {
  applicationId: string;
  companyId: string;
  customerNumber: string;
  xsId: string;
  cardType: CardType;
  deliveryMethod: DeliveryMethod;
  destination: Destination;
  /** ISO instant the application was received. */
  submittedAt: string;
  /** Set when this application replaces or renews an existing card. */
  replaces?: { cardNumber: string; reason: 'lost' | 'renewal' };
}

/** Sent by the card's pickup hold when the card was handed to the post after the hold. */
export const holdEndedSignal = defineSignal<[{ outcome: 'collected' | 'to-post'; at: string }]>('holdEnded');

// ---- The card application ------------------------------------------------------

/**
 * Where an application stands; also the `status` of its record and the `Phase`
 * search attribute. In order: approvals, waiting for the production moment,
 * production, then by post `shipped`, or by pickup `held-for-pickup` and then
 * `collected` (or `shipped` when the hold ended uncollected), then `active`.
 * Any phase before `active` can end `cancelled`: a rule of the application no
 * longer holds (checked at approval and before production), or the company's
 * contract was terminated when its transport licence expired.
 */
export const CARD_APPLICATION_PHASES = [
  'awaiting-approvals',
  'awaiting-production',
  'in-production',
  'held-for-pickup',
  'shipped',
  'collected',
  'active',
  'cancelled',
] as const;
export type CardApplicationPhase = (typeof CARD_APPLICATION_PHASES)[number];

export interface Approval {
  /** Who approved (the card user, a back-office user, a service-point employee). */
  by: string;
  /** ISO instant. */
  at: string;
  /** The card user's approval was given by checking the application at the service point. */
  atServicePoint?: boolean;
}

export interface CardApplicationState {
  applicationId: string;
  companyId: string;
  xsId: string;
  cardType: CardType;
  deliveryMethod: DeliveryMethod;
  destination: Destination;
  phase: CardApplicationPhase;
  submittedAt: string;
  approvals: { cardUser?: Approval; backoffice?: Approval };
  /** The moment A (ISO): both parties approved. */
  approvedAt?: string;
  convertedToUrgentAt?: string;
  collectorName?: string;
  plan?: DeliveryPlan;
  producedAt?: string;
  cardNumber?: string;
  /** By post (planned, or after the pickup hold). */
  shippedOn?: string;
  expectedDeliveryBy?: string;
  collectedAt?: string;
  collectedBy?: string;
  /** Wrong PINs since the last PIN was issued; at MAX_PIN_ATTEMPTS activation locks. */
  failedPinAttempts: number;
  /** Activation is locked (too many wrong PINs) until customer service issues a new PIN. */
  pinLockedAt?: string;
  /** New PINs issued by customer service (the first PIN, from production, is not counted). */
  pinsReissued?: number;
  activatedAt?: string;
  expiresAt?: string;
  /** The application ended without an active card: when, and why (a sentence for the company and operators). */
  cancelledAt?: string;
  cancellationReason?: string;
}

export interface ApprovalInput {
  approvedBy: string;
}
export interface ServicePointCheckInput {
  /** The service-point employee who checked the application with the card user. */
  checkedBy: string;
}
export interface ApprovalResult {
  approvals: CardApplicationState['approvals'];
  /** Both parties approved: the application is approved for production, with this plan. */
  approvedForProduction: boolean;
  plan?: DeliveryPlan;
}

export interface ConversionInput {
  requestedBy?: string;
}
export interface ConversionResult {
  deliveryMethod: 'urgent-pickup';
  convertedAt: string;
  /** Present once the application is approved. */
  plan?: DeliveryPlan;
}

export interface ActivationResult {
  cardNumber: string;
  activatedAt: string;
  expiresAt: string;
}

export type CardApplicationResult =
  | (ActivationResult & { applicationId: string; outcome?: 'active' })
  | { applicationId: string; outcome: 'cancelled'; cancelledAt: string; reason: string; cardNumber?: string };

export interface CancellationRequest {
  /** Why, in a sentence the company contact reads in the cancellation email. */
  reason: string;
  /** Who or what cancels (e.g. 'licence-watch'), audited. */
  by: string;
}
/**
 * Ends an application that has no active card yet: any card produced for it is blocked, the company
 * contact is told why. Sent by the licence watch when it terminates the contract; operators may send it too.
 */
export const cancelApplicationSignal = defineSignal<[CancellationRequest]>('cancelApplication');

export const approveByCardUserUpdate = defineUpdate<ApprovalResult, [ApprovalInput]>('approveByCardUser');
export const approveByBackofficeUpdate = defineUpdate<ApprovalResult, [ApprovalInput]>('approveByBackoffice');
/** Urgent pickup: checked at the service point on the card user's behalf (counts as the card user's approval). */
export const checkAtServicePointUpdate = defineUpdate<ApprovalResult, [ServicePointCheckInput]>('checkAtServicePoint');
export const convertToUrgentUpdate = defineUpdate<ConversionResult, [ConversionInput]>('convertToUrgent');
/** The company names, in advance, someone other than the card user to collect the card. */
export const nameCollectorUpdate = defineUpdate<{ collectorName: string }, [{ name: string }]>('nameCollector');
/** At an activation point, with ID, card and PIN; the PIN is checked against its hash. */
export const activateUpdate = defineUpdate<ActivationResult, [{ pin: string }]>('activate');
export const cardApplicationStateQuery = defineQuery<CardApplicationState>('cardApplicationState');

/** A PIN: 4 digits. */
export const PIN_PATTERN = /^\d{4}$/;

/**
 * Wrong PINs a card takes: the last one locks its activation (the company contact is told), and any
 * further attempt is refused without checking, until customer service issues a new PIN (issueNewPin).
 * 3 of 10,000 PINs guessed at most per issued PIN.
 */
export const MAX_PIN_ATTEMPTS = 3;

export interface NewPinInput {
  /** Who at customer service issued it (audited). */
  requestedBy: string;
}
export interface NewPinResult {
  cardNumber: string;
  /** 1 for the first new PIN after production, 2 for the next, ... */
  issue: number;
  issuedAt: string;
}
/** Customer service issues a new PIN for a card that waits for activation: mailed to the company contact; unlocks activation. */
export const issueNewPinUpdate = defineUpdate<NewPinResult, [NewPinInput]>('issueNewPin');

// ---- The pickup hold (child of the card application) -----------------------------

export interface PickupHoldInput {
  applicationId: string;
  companyId: string;
  xsId: string;
  cardUserName: string;
  companyName: string;
  cardNumber: string;
  cardType: CardType;
  /** Where the card goes by post when it is not collected. */
  destination: Destination;
  plan: PickupPlan;
  collectorName?: string;
}

export type PickupHoldPhase = 'held' | 'awaiting-post' | 'collected' | 'to-post';

export interface PickupHoldState {
  applicationId: string;
  cardNumber: string;
  phase: PickupHoldPhase;
  plan: PickupPlan;
  collectorName?: string;
  collectedAt?: string;
  collectedBy?: string;
  shippedOn?: string;
  expectedDeliveryBy?: string;
}

export type PickupHoldResult =
  | { outcome: 'collected'; at: string; collectedBy: string }
  | { outcome: 'to-post'; at: string; shippedOn: string; expectedDeliveryBy: string };

export const recordPickupUpdate = defineUpdate<PickupHoldResult, [{ collectedBy: string }]>('recordPickup');
/** From the card application when the company names a collector while the card is held. */
export const collectorNamedSignal = defineSignal<[{ name: string }]>('collectorNamed');
export const pickupHoldStateQuery = defineQuery<PickupHoldState>('pickupHoldState');
