/**
 * What the API benchmark on a data set sends to each endpoint of the API.
 *
 * The list of endpoints is the API's own (api/routes ENDPOINTS, what the router
 * and the OpenAPI document are made from): every GET is a read and is
 * measured; every other operation is named here as a start (measured: it
 * starts a process) or as not measured, with why. An endpoint without an
 * entry, or an entry without an endpoint, stops the benchmark naming it
 * (`planRequests`), so a new endpoint cannot be left out unnoticed.
 */
import { ENDPOINTS } from '../api/routes';
import type { Endpoint } from '../api/operations';
import { isPublic, rolesFor } from '../api/security/access-policy';
import { DEFAULT_PORTAL_SETTINGS } from '../api/services/sign-in';
import type { Role } from '../config/api-keys';

/** Records of the data set (and a few made for the run) the requests are about; each call gives the next one. */
export interface ApiFixture {
  company(): string;
  pendingCompany(): string;
  /** An approved company with a transport licence (its watch runs). */
  licenceCompany(): string;
  customerNumber(): string;
  cardUser(): string;
  card(): string;
  application(): string;
  account(): string;
  /** A running case's workflow ID (card lives, licence watches, open applications, contract approvals). */
  caseId(): string;
  /** An Update with an outcome (an approval made before the run). */
  update(): { workflowId: string; updateId: string };
  terminal(): { terminalId: string; customerNumber: string };
  digestPeriod(): string;
  scheduleId(): string;
  /** Bodies and targets that start something new each time. */
  newCompanyBody(): object;
  newApplicationBody(): object;
  newAccountBody(): object;
  /** An approved CargoCard company without a watch yet. */
  unwatchedCompany(): string;
}

export interface PlannedRequest {
  path: string;
  body?: object;
}

type Plan =
  | { kind: 'read'; request: (f: ApiFixture) => PlannedRequest }
  | { kind: 'start'; request: (f: ApiFixture) => PlannedRequest }
  | { kind: 'not measured'; why: string };

const e = encodeURIComponent;
const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
const UPDATE = 'an Update of a running case (changes it), neither a read nor a start';
const RECORD = 'writes a record without starting a process';
const TOKEN = 'needs a single-use token from a mail (one use each), neither a read nor a start';

/** Every operation of the API by operationId. */
export const API_PLAN: Record<string, Plan> = {
  healthz: { kind: 'not measured', why: 'the baseline, measured at the same time as every endpoint' },
  readyz: { kind: 'read', request: () => ({ path: '/readyz' }) },
  metrics: { kind: 'read', request: () => ({ path: '/metrics' }) },
  // Portal accounts
  registerPortalAccount: { kind: 'start', request: (f) => ({ path: '/v1/accounts', body: f.newAccountBody() }) },
  checkPortalPassword: { kind: 'not measured', why: 'checks a password (a deliberate scrypt hash per call), neither a read nor a start' },
  activatePortalAccount: { kind: 'not measured', why: TOKEN },
  activationPage: { kind: 'read', request: () => ({ path: '/v1/accounts/activation?token=bench-token' }) },
  requestPasswordReset: { kind: 'not measured', why: 'a signal to an account (mails a link) behind a human check' },
  signInPortalAccount: { kind: 'not measured', why: UPDATE },
  passwordResetPage: { kind: 'read', request: () => ({ path: '/v1/accounts/password-reset/confirm?token=bench-token' }) },
  resetPortalPassword: { kind: 'not measured', why: TOKEN },
  getPortalAccount: { kind: 'read', request: (f) => ({ path: `/v1/accounts/${e(f.account())}` }) },
  lockPortalAccount: { kind: 'not measured', why: UPDATE },
  unlockPortalAccount: { kind: 'not measured', why: UPDATE },
  listPortalCustomerNumbers: { kind: 'read', request: (f) => ({ path: `/v1/accounts/${e(f.account())}/customer-numbers` }) },
  addPortalCustomerNumber: { kind: 'not measured', why: UPDATE },
  removePortalCustomerNumber: { kind: 'not measured', why: UPDATE },
  customerNumberConfirmationPage: { kind: 'read', request: () => ({ path: '/v1/accounts/customer-numbers/confirmation?token=bench-token' }) },
  confirmPortalCustomerNumber: { kind: 'not measured', why: TOKEN },
  // Companies
  registerCompany: { kind: 'start', request: (f) => ({ path: '/v1/companies', body: f.newCompanyBody() }) },
  getCompany: { kind: 'read', request: (f) => ({ path: `/v1/companies/${e(f.company())}` }) },
  renameCompany: { kind: 'not measured', why: RECORD },
  decideContract: { kind: 'not measured', why: UPDATE },
  // Card users, applications, cards
  registerCardUser: { kind: 'not measured', why: RECORD },
  getCardUser: { kind: 'read', request: (f) => ({ path: `/v1/card-users/${e(f.cardUser())}` }) },
  applyForCard: { kind: 'start', request: (f) => ({ path: '/v1/card-applications', body: f.newApplicationBody() }) },
  getCardApplication: { kind: 'read', request: (f) => ({ path: `/v1/card-applications/${e(f.application())}` }) },
  approveCardApplication: { kind: 'not measured', why: UPDATE },
  convertCardApplicationToUrgent: { kind: 'not measured', why: UPDATE },
  nameCardCollector: { kind: 'not measured', why: UPDATE },
  recordCardPickup: { kind: 'not measured', why: UPDATE },
  activateCard: { kind: 'not measured', why: UPDATE },
  issueNewCardPin: { kind: 'not measured', why: UPDATE },
  getCard: { kind: 'read', request: (f) => ({ path: `/v1/cards/${e(f.card())}` }) },
  scheduleCardBlock: { kind: 'not measured', why: UPDATE },
  cancelCardBlock: { kind: 'not measured', why: UPDATE },
  renewCard: { kind: 'not measured', why: UPDATE },
  reportCardLost: { kind: 'not measured', why: UPDATE },
  // Licences
  startLicenceWatch: { kind: 'start', request: (f) => ({ path: `/v1/companies/${e(f.unwatchedCompany())}/licence-watch` }) },
  getTransportLicence: { kind: 'read', request: (f) => ({ path: `/v1/companies/${e(f.licenceCompany())}/transport-licence` }) },
  renewTransportLicence: { kind: 'not measured', why: 'an Update of the running watch (starts one with it only when none runs)' },
  registerLicenceBridging: { kind: 'not measured', why: UPDATE },
  // Cases
  getCase: { kind: 'read', request: (f) => ({ path: `/v1/cases/${e(f.caseId())}` }) },
  getUpdateOutcome: {
    kind: 'read',
    request: (f) => {
      const u = f.update();
      return { path: `/v1/cases/${e(u.workflowId)}/updates/${e(u.updateId)}` };
    },
  },
  listCompanyCases: { kind: 'read', request: (f) => ({ path: `/v1/companies/${e(f.company())}/cases` }) },
  // Digests, planning, schedules
  triggerDigest: { kind: 'not measured', why: "starts the month's digest (one run per month): the digest benchmark measures it" },
  listDigests: { kind: 'read', request: () => ({ path: '/v1/digests' }) },
  getDigest: { kind: 'read', request: (f) => ({ path: `/v1/digests/${e(f.digestPeriod())}` }) },
  planCardDelivery: { kind: 'read', request: () => ({ path: `/v1/planning/card-delivery?approvedAt=${e(new Date().toISOString())}&method=post` }) },
  planLicenceWarning: { kind: 'read', request: () => ({ path: `/v1/planning/licence-warning?expiresOn=${day(90)}` }) },
  planContractDue: { kind: 'read', request: () => ({ path: `/v1/planning/contract-due?submittedAt=${e(new Date().toISOString())}` }) },
  planDigestDates: { kind: 'read', request: () => ({ path: `/v1/planning/digest-dates?year=${new Date().getUTCFullYear()}` }) },
  listSchedules: { kind: 'read', request: () => ({ path: '/v1/schedules' }) },
  getSchedule: { kind: 'read', request: (f) => ({ path: `/v1/schedules/${e(f.scheduleId())}` }) },
  pauseSchedule: { kind: 'not measured', why: 'changes a Schedule' },
  unpauseSchedule: { kind: 'not measured', why: 'changes a Schedule' },
  triggerSchedule: { kind: 'not measured', why: 'fires a Schedule (a digest or reconciliation run), measured by their own benchmarks' },
  // Terminals
  registerTerminal: { kind: 'not measured', why: RECORD },
  listTerminals: { kind: 'read', request: (f) => ({ path: `/v1/terminals?customerNumber=${e(f.terminal().customerNumber)}` }) },
  getTerminal: { kind: 'read', request: (f) => ({ path: `/v1/terminals/${e(f.terminal().terminalId)}` }) },
  retireTerminal: { kind: 'not measured', why: RECORD },
};

export interface MeasuredEndpoint {
  name: string;
  operationId: string;
  method: string;
  kind: 'read' | 'start';
  /** The API key's role to send (undefined: a public operation, no key). */
  role: Role | undefined;
  request: (f: ApiFixture) => PlannedRequest;
}

/** The role whose key a call carries: back-office where it may, else the first role the policy names. */
function roleFor(endpoint: Endpoint): Role | undefined {
  if (isPublic(endpoint)) return undefined;
  const roles = rolesFor(endpoint);
  return roles.includes('backoffice') ? 'backoffice' : roles[0];
}

/** The endpoints to measure, in the API's order; throws naming every endpoint the plan does not cover (and every stale entry). */
export function planRequests(endpoints: readonly Endpoint[] = ENDPOINTS): { measured: MeasuredEndpoint[]; notMeasured: Array<{ name: string; why: string }> } {
  const missing = endpoints.filter((x) => !(x.operationId in API_PLAN)).map((x) => `${x.method.toUpperCase()} ${x.path} (${x.operationId})`);
  const stale = Object.keys(API_PLAN).filter((id) => !endpoints.some((x) => x.operationId === id));
  const readsNotMeasured = endpoints.filter((x) => x.method === 'get' && API_PLAN[x.operationId]?.kind === 'start').map((x) => x.operationId);
  if (missing.length || stale.length || readsNotMeasured.length) {
    throw new Error(
      'bench/api-requests.ts API_PLAN does not match the API: ' +
        [
          missing.length ? `no request for ${missing.join(', ')} (say what to send, or why it is not measured)` : '',
          stale.length ? `no endpoint for ${stale.join(', ')}` : '',
          readsNotMeasured.length ? `GET endpoints planned as starts: ${readsNotMeasured.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join('; '),
    );
  }
  const measured: MeasuredEndpoint[] = [];
  const notMeasured: Array<{ name: string; why: string }> = [];
  for (const x of endpoints) {
    const plan = API_PLAN[x.operationId]!;
    const name = `${x.method.toUpperCase()} ${x.path}`;
    if (plan.kind === 'not measured') {
      // Every read is measured (the baseline aside): a GET cannot be left out with a reason.
      if (x.method === 'get' && x.operationId !== 'healthz') throw new Error(`bench/api-requests.ts: ${name} (${x.operationId}) is a read and must be measured`);
      notMeasured.push({ name, why: plan.why });
    } else {
      measured.push({ name, operationId: x.operationId, method: x.method, kind: plan.kind, role: roleFor(x), request: plan.request });
    }
  }
  return { measured, notMeasured };
}

export const PORTAL_ACCEPTANCE = { terms: DEFAULT_PORTAL_SETTINGS.termsVersion, privacy: DEFAULT_PORTAL_SETTINGS.privacyVersion };
