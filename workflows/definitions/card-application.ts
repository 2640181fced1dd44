/**
 * Card application, production and pickup hold (PROCESSES.md section 2).
 * Shared by the API, the workers and the workflows.
 */
import { defineSignal } from '@temporalio/workflow';

export type CardType = 'CargoCard' | 'DigitalSafetyPassport' | 'PortKey';
export type DeliveryMethod = 'post' | 'pickup' | 'urgent-pickup';
export type Destination = 'NL' | 'abroad';

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
