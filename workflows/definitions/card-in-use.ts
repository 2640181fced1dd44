/**
 * Cards in use (PROCESSES.md section 3): blocking, loss and replacement,
 * renewal window and expiry. Shared by the API, the workers and the workflows.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CardType, DeliveryMethod, Destination } from './card-application';

export const cardInUseWorkflowId = (cardNumber: string): string => `cardlife:${cardNumber}`;

export interface CardInUseInput {
  cardNumber: string;
  applicationId: string;
  companyId: string;
  customerNumber: string;
  xsId: string;
  cardType: CardType;
  /** ISO instants. */
  activatedAt: string;
  expiresAt: string;
  /** The state an earlier run of this card's life continued as new with. */
  carried?: CardInUseState;
  /** Block schedules and cancellations before the run continues as new (default CARD_CHANGES_PER_RUN; tests set fewer). */
  changesPerRun?: number;
  /**
   * The last answers of the previous runs, by Update ID: a change can end the run (continue-as-new), and Temporal
   * knows an Update's ID within its run only, so a client retrying an Update (same ID) after a timeout gets the
   * first answer from here instead of a refusal or a second change (workflows/support.ts, updateAnswers).
   */
  answered?: Record<string, CardInUseAnswer>;
}

/** What the card's Updates answer. */
export type CardInUseAnswer = BlockResult | ScheduledBlock | Replacement | LossResult;

/**
 * A card lives five years; each scheduled or cancelled block adds a handful of
 * events. After this many, the run continues as new with its state, so the
 * history stays small however often a company changes its mind.
 */
export const CARD_CHANGES_PER_RUN = 50;

/**
 * Blocks the card at once, e.g. when the company's transport licence expired
 * (sent by the licence watch to every CargoCard of the company). `notify:
 * false` when the sender tells the company itself (the licence watch lists
 * every blocked card in one email); by default the company contact is mailed.
 */
export const blockCardNowSignal = defineSignal<[{ reason: string; by: string; notify?: boolean }]>('blockCardNow');

/**
 * `active` until the renewal window opens, then `expiring` (can be renewed);
 * it ends `blocked` or `expired`. Also the `Phase` search attribute.
 */
export type CardInUsePhase = 'active' | 'expiring' | 'blocked' | 'expired';

export interface BlockRequest {
  /** The local day (YYYY-MM-DD) the block takes effect, at 00:00: today (at once) or a later day. */
  on: string;
  reason: string;
  requestedBy: string;
}

export interface ScheduledBlock extends BlockRequest {
  /** ISO instant: 00:00 local of `on`. */
  takesEffectAt: string;
  scheduledAt: string;
}

export interface BlockResult {
  /** `blocked` when the block took effect at once (a block for today). */
  status: 'scheduled' | 'blocked';
  block: ScheduledBlock;
}

export interface RenewalRequest {
  requestedBy: string;
  /** How the new card is delivered; by default as the card being renewed was. */
  deliveryMethod?: DeliveryMethod;
  destination?: Destination;
}

export interface LossReport {
  reason: string;
  requestedBy: string;
  deliveryMethod: DeliveryMethod;
  destination: Destination;
}

/** The card application that replaces this card (renewal or loss). */
export interface Replacement {
  applicationId: string;
  workflowId: string;
  reason: 'renewal' | 'lost';
  requestedBy: string;
  requestedAt: string;
}

export interface LossResult {
  replacement: Replacement;
  blockedAt: string;
}

export interface CardBlock {
  at: string;
  reason: string;
  by: string;
}

export interface CardInUseState {
  cardNumber: string;
  companyId: string;
  xsId: string;
  cardType: CardType;
  phase: CardInUsePhase;
  activatedAt: string;
  expiresAt: string;
  /** From then on the card is expiring and can be renewed. */
  renewalWindowOpensAt: string;
  scheduledBlock?: ScheduledBlock;
  replacement?: Replacement;
  blocked?: CardBlock;
  expiredAt?: string;
}

export type CardInUseResult = { outcome: 'blocked'; block: CardBlock } | { outcome: 'expired'; at: string };

/** Block at a chosen day (today: at once), with a reason; cancellable until it takes effect. */
export const scheduleBlockUpdate = defineUpdate<BlockResult, [BlockRequest]>('scheduleBlock');
export const cancelBlockUpdate = defineUpdate<ScheduledBlock, []>('cancelBlock');
/** Inside the renewal window, before expiry: starts the application of the new card. */
export const renewCardUpdate = defineUpdate<Replacement, [RenewalRequest]>('renewCard');
/** "A lost card is replaced first, then blocked." */
export const reportLostUpdate = defineUpdate<LossResult, [LossReport]>('reportLost');
export const cardInUseStateQuery = defineQuery<CardInUseState>('cardInUseState');
