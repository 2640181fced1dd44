/** The workflows the worker bundles, one file per process. */
export { cardApplication } from './card-application';
export { cardInUse } from './card-in-use';
export { licenceWatch } from './licence-watch';
export { contractApproval } from './contract-approval';
export { pickupHold } from './pickup-hold';
export { portalAccount } from './portal-account';
export { monthlyDigest } from './monthly-digest';
export { reconciliation } from './reconciliation';

// Each type's versioning behaviour (PINNED or AUTO_UPGRADE), set on the functions above.
import './versioning';
