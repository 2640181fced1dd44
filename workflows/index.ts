/** The workflows the worker bundles, one file per process. */
export { contractApproval } from './contract-approval';
