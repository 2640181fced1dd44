/**
 * The transport-licence watch (PROCESSES.md section 4), one per company with
 * CargoCards: its workflow ID, input, state and the messages the API sends it.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';

export const licenceWatchWorkflowId = (companyId: string): string => `licence:${companyId}`;

/**
 * The company only: the watch reads the licence from the company record at
 * the start of each run (the record is the one source of truth; a renewal
 * writes it, then the watch continues as new). Extra fields are ignored.
 */
export interface LicenceWatchInput {
  companyId: string;
  /** Carried by the run that sent the warning into the run it continued as: that expiry is not warned again. */
  warned?: { effectiveExpiresOn: string; at: string };
  /**
   * The plans the previous run answered, by Update ID: a change ends the run (continue-as-new), and Temporal
   * knows an Update's ID within its run only, so a client retrying an Update (same ID) after a timeout gets
   * the first answer from here instead of a second change (api/services/updates.ts).
   */
  answered?: Record<string, LicencePlan>;
}

export interface TransportLicence {
  number: string;
  /** Valid through this day (YYYY-MM-DD). */
  expiresOn: string;
  documentRef: string;
  /** NIWO bridging period: the effective expiry moves to this day. */
  bridgingUntil?: string;
  bridgingProofRef?: string;
}

/** The day the licence (or its bridging period) is valid through: the watch plans from it. */
export function effectiveExpiry(licence: Pick<TransportLicence, 'expiresOn' | 'bridgingUntil'>): string {
  return licence.bridgingUntil && licence.bridgingUntil > licence.expiresOn ? licence.bridgingUntil : licence.expiresOn;
}

/** `closed`: nothing to watch (no CargoCards, no licence or no approved contract). */
export type LicencePhase = 'watching' | 'warned' | 'blocked' | 'closed';

export interface LicencePlan {
  effectiveExpiresOn: string;
  /** ISO instants: 09:00 on the 5th working day before, and 00:00 after the effective expiry. */
  warnAt: string;
  blockAt: string;
}

export interface LicenceWatchState extends LicencePlan {
  companyId: string;
  phase: LicencePhase;
  licence: TransportLicence;
  warnedAt?: string;
  blockedAt?: string;
  /** The CargoCards blocked when the licence expired. */
  blockedCards?: string[];
}

export type LicenceWatchResult = { outcome: 'blocked'; blockedAt: string; blockedCards: string[] } | { outcome: 'closed'; reason: string };

export interface LicenceRenewal {
  number: string;
  expiresOn: string;
  documentRef: string;
}

export interface LicenceBridging {
  /** The bridging period ends with this day (YYYY-MM-DD). */
  until: string;
  proofRef: string;
}

/** A renewed licence: recorded, then the watch re-plans (continue-as-new). Returns the new plan. */
export const renewLicenceUpdate = defineUpdate<LicencePlan, [LicenceRenewal]>('renewLicence');
/** A NIWO bridging period: the effective expiry becomes its end day. Returns the new plan. */
export const registerBridgingUpdate = defineUpdate<LicencePlan, [LicenceBridging]>('registerBridging');
/** Null while the run loads the licence, and when there is nothing to watch (phase `closed`). */
export const licenceStateQuery = defineQuery<LicenceWatchState | null>('licenceState');
