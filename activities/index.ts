/**
 * All activities, grouped by the side effect they own, built from the
 * dependencies the worker wires (models, mail transport, configuration).
 * Activities never read `process.env`.
 */
import type { Client } from '@temporalio/client';
import type { Models } from '../db/models';
import type { Mailer } from '../email/mailer';
import type { BusinessRules } from '../domain/rules';
import { createAccountActivities } from './accounts';
import { createCardActivities } from './cards';
import { createCardInUseActivities } from './cards-in-use';
import { createLicenceActivities } from './licences';
import { createContractActivities } from './contracts';
import { createDigestActivities } from './digest';
import { createEmailActivities } from './email';
import { createReconciliationActivities } from './reconciliation';

export interface ActivityDeps {
  models: Models;
  mailer: Mailer;
  rules: BusinessRules;
  backofficeLead: string;
  /** Where users reach the API/portal: links in emails are built from it. */
  publicBaseUrl: string;
  /** Account link tokens are derived from it (config/link-secret.ts); tests and benches use the local one. */
  linkSecret?: Buffer;
  /** How account holders reach customer service (CUSTOMER_SERVICE_CONTACT); default DEFAULT_SERVICE_CONTACT. */
  customerServiceContact?: string;
  /** For activities that start or signal workflows (reconciliation); the worker always passes it. */
  temporal?: Client;
}

export function createActivities(deps: ActivityDeps) {
  return {
    /** Local activity: the deployment's business rules, recorded in each workflow's history. */
    async loadBusinessRules(): Promise<BusinessRules> {
      return deps.rules;
    },
    ...createEmailActivities(deps),
    ...createContractActivities(deps),
    ...createDigestActivities(deps),
    ...createReconciliationActivities(deps),
    ...createCardActivities(deps),
    ...createCardInUseActivities(deps),
    ...createLicenceActivities(deps),
    ...createAccountActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
