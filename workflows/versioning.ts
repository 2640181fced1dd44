/**
 * How each workflow type moves between worker builds (Worker Deployment
 * Versioning, docs/operations.md). The worker polls as one deployment version;
 * the server sends a workflow's tasks:
 *
 * - PINNED: always to the build that started it. For runs that last minutes,
 *   so a deploy simply waits for the old build to drain; such code may change
 *   freely between builds.
 * - AUTO_UPGRADE: to the deployment's current build, from the next task on.
 *   For processes that wait on people or the calendar (days to five years):
 *   their code must replay old histories, so every change goes behind
 *   patched() (workflows/patches.json), and they continue as new at natural
 *   points so new rules reach running cases.
 *
 * The table is typed on the bundle's exports: a new workflow without a
 * behaviour does not compile. Unversioned workers (the time-skipping test
 * server, WORKER_VERSIONING=false) ignore it.
 */
import { setWorkflowOptions } from '@temporalio/workflow';
import type { VersioningBehavior } from '@temporalio/common';
import { cardApplication } from './card-application';
import { cardInUse } from './card-in-use';
import { contractApproval } from './contract-approval';
import { licenceWatch } from './licence-watch';
import { monthlyDigest } from './monthly-digest';
import { pickupHold } from './pickup-hold';
import { portalAccount } from './portal-account';
import { reconciliation } from './reconciliation';

type Bundle = typeof import('./index');

export const VERSIONING_BEHAVIOUR: { [name in keyof Bundle]: VersioningBehavior } = {
  // Minutes, fired by a Schedule.
  monthlyDigest: 'PINNED',
  reconciliation: 'PINNED',
  // Days to weeks: decisions, production, the pickup desk, the SLA timer.
  cardApplication: 'AUTO_UPGRADE',
  pickupHold: 'AUTO_UPGRADE',
  contractApproval: 'AUTO_UPGRADE',
  // Months to years; continue as new at natural points.
  portalAccount: 'AUTO_UPGRADE',
  cardInUse: 'AUTO_UPGRADE',
  licenceWatch: 'AUTO_UPGRADE',
};

const WORKFLOWS: { [name in keyof Bundle]: (...args: never[]) => Promise<unknown> } = {
  cardApplication, cardInUse, contractApproval, licenceWatch, monthlyDigest, pickupHold, portalAccount, reconciliation,
};
for (const [name, fn] of Object.entries(WORKFLOWS)) {
  setWorkflowOptions({ versioningBehavior: VERSIONING_BEHAVIOUR[name as keyof Bundle] }, fn as (...args: unknown[]) => Promise<unknown>);
}
