/**
 * Cards in use (PROCESSES.md section 3): blocking, loss and replacement,
 * renewal window and expiry. Shared by the API, the workers and the workflows.
 */
import { defineSignal } from '@temporalio/workflow';
import type { CardType } from './card-application';

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
}

/**
 * Blocks the card at once, e.g. when the company's transport licence expired
 * (sent by the licence watch to every CargoCard of the company).
 */
export const blockCardNowSignal = defineSignal<[{ reason: string; by: string }]>('blockCardNow');
