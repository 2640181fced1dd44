/**
 * Who may call what: the one place the API's roles are decided.
 *
 * - back-office: everything but what is reserved to one role (below).
 * - customer service: reads every case and plan, and the actions of the
 *   service desk (card collection and activation at the counter, urgent
 *   conversion, blocking a lost card, locking and unlocking portal accounts).
 *   It does not decide contracts, approve applications or run schedules.
 * - system (schedulers and other machines): the timed processes only, i.e.
 *   digest runs and Schedules. Firing a Schedule by hand is the scheduler's
 *   right alone (PROCESSES.md: the timed processes run on their calendar).
 * - portal (the customer portal's server): what its users do and nothing
 *   else: register, check a password, sign in (docs/accounts.md), besides the
 *   public link and password-reset operations. No reads: it sees an account
 *   only through a sign-in with the account's password.
 *
 * Public operations need no key: the liveness and readiness probes, and
 * what the links in emails open (their single-use token is the credential).
 * /metrics is not public: it names the API keys (its "caller" label), so it
 * needs a back-office or system key (Prometheus sends it as a bearer token).
 *
 * Operations are named by their operationId (declared with the endpoint in
 * api/routes/); an operationId here that no endpoint declares stops the API
 * at start (checkPolicy).
 */
import type { Role } from '../../config/api-keys';
import type { Operation } from '../operations';

export const PUBLIC_OPERATIONS: ReadonlySet<string> = new Set([
  'healthz',
  'readyz',
  'activationPage',
  'activatePortalAccount',
  'passwordResetPage',
  'requestPasswordReset',
  'resetPortalPassword',
  // what the customer-number confirmation link opens (docs/accounts-terminals.md)
  'customerNumberConfirmationPage',
  'confirmPortalCustomerNumber',
]);

interface Grant {
  /** Every GET of the business API (/v1/...). */
  reads: boolean;
  /** Further operations by operationId, or every operation. */
  operations: readonly string[] | 'all';
}

export const GRANTS: Record<Role, Grant> = {
  backoffice: { reads: true, operations: 'all' },
  'customer-service': {
    reads: true,
    operations: [
      'checkPortalPassword',
      'lockPortalAccount',
      'unlockPortalAccount',
      'convertCardApplicationToUrgent',
      'nameCardCollector',
      'recordCardPickup',
      'activateCard',
      'issueNewCardPin',
      'scheduleCardBlock',
      'cancelCardBlock',
      'reportCardLost',
    ],
  },
  system: {
    reads: false,
    operations: ['metrics', 'triggerDigest', 'listDigests', 'getDigest', 'listSchedules', 'getSchedule', 'pauseSchedule', 'unpauseSchedule', 'triggerSchedule'],
  },
  portal: {
    reads: false,
    operations: [
      'registerPortalAccount',
      'checkPortalPassword',
      'signInPortalAccount',
      'listPortalCustomerNumbers',
      'addPortalCustomerNumber',
      'removePortalCustomerNumber',
    ],
  },
};

/** Operations only these roles may call, whatever the grants above say. */
export const RESERVED: Readonly<Record<string, readonly Role[]>> = {
  triggerSchedule: ['system'],
};

export function isPublic(op: Operation): boolean {
  return PUBLIC_OPERATIONS.has(op.operationId);
}

export function mayCall(role: Role, op: Operation): boolean {
  if (isPublic(op)) return true;
  const reserved = RESERVED[op.operationId];
  if (reserved) return reserved.includes(role);
  const grant = GRANTS[role];
  if (grant.operations === 'all') return true;
  return (grant.reads && op.method === 'get' && op.path.startsWith('/v1/')) || grant.operations.includes(op.operationId);
}

/** Every operationId the policy names must be an endpoint's: a typo would otherwise silently grant or deny nothing. */
export function checkPolicy(operations: readonly Operation[]): void {
  const known = new Set(operations.map((op) => op.operationId));
  const named = [...PUBLIC_OPERATIONS, ...Object.keys(RESERVED), ...Object.values(GRANTS).flatMap((g) => (g.operations === 'all' ? [] : g.operations))];
  const unknown = named.filter((id) => !known.has(id));
  if (unknown.length) throw new Error(`access policy: no endpoint is called ${[...new Set(unknown)].join(', ')}`);
}

/** The roles that may call an operation (documented in the OpenAPI document). */
export function rolesFor(op: Operation): Role[] {
  return (Object.keys(GRANTS) as Role[]).filter((role) => mayCall(role, op));
}
