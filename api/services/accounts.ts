/**
 * Portal accounts: the record (with the password's scrypt hash, made here and
 * never logged, never sent to a workflow: a reset hands the workflow only a
 * reference to the hash, stored in `pending_passwords`) and the
 * `portalAccount` workflow that owns the links, their expiry, resets and locks.
 *
 * Link tokens arrive here only to be hashed: the record is found by the hash,
 * and the workflow decides (used, expired, revoked -> 410; not the current
 * link -> 400).
 */
import { randomBytes } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { hashLinkToken } from '../../activities/accounts';
import { isDuplicateKey, type PortalAccountDoc } from '../../db/models';
import { assessPassword, type PersonalData } from '../../domain/password-guessing';
import { checkPassword } from '../../domain/password-policy';
import { createLogger } from '../../observability/logger';
import type { portalAccount } from '../../workflows/portal-account';
import {
  SA,
  accountWorkflowId,
  activateAccountUpdate,
  lockAccountUpdate,
  requestResetSignal,
  resetPasswordUpdate,
  unlockAccountUpdate,
  type AccountUpdateResult,
  type LinkPurpose,
  type LockInput,
  type UnlockInput,
} from '../../workflows/definitions';
import { badRequest, conflict, fromTemporal, HttpProblem, notFound, unprocessable, type FieldError } from '../errors';
import { clearPending, startOnce } from './creation';
import type { RegisterAccountBody, SignInBody } from '../schemas/accounts';
import { claimResetMail, DEFAULT_ACCOUNT_LIMITS, releaseResetMail } from './account-limits';
import type { ServiceDeps } from './deps';
import { executeUpdate } from './updates';
import { newId } from './companies';
import { hashPassword, needsRehash, verifyPassword } from './passwords';
import { acceptanceErrors, createSignIn, DEFAULT_PORTAL_SETTINGS, registrationAcceptances, requireHuman } from './sign-in';
import { activeTerminal, TERMINAL_MISMATCH } from './terminals';
import { createCustomerNumberService } from './account-customer-numbers';
import type { BusinessRules } from '../../domain/rules';

// ---- passwords: hashing lives in ./passwords (re-exported for the callers that know it here) ----

export { hashPassword, verifyPassword } from './passwords';

/** How long a new password's hash waits in `pending_passwords` for its workflow to commit it. */
const PENDING_PASSWORD_TTL_MS = 3_600_000;

/** Every rule a password breaks (domain/password-guessing.ts): registration, reset and the password check share it. */
function policyErrors(password: string, personal: PersonalData, rules: BusinessRules): FieldError[] {
  return assessPassword(password, personal, rules).violations.map((v) => ({ field: 'password', message: v.message, code: v.code, reason: v.reason }));
}


// ---- the view: never a hash ---------------------------------------------------------------

type Account = PortalAccountDoc & { _id: string };

export function accountView(a: Account) {
  return {
    accountId: a._id,
    status: a.status,
    name: a.name,
    email: a.email,
    language: a.language,
    customerNumber: a.customerNumber,
    customerNumbers: [a.customerNumber, ...(a.customerNumbers ?? []).map((n) => n.customerNumber)],
    registeredAt: a.registeredAt.toISOString(),
    ...(a.activatedAt ? { activatedAt: a.activatedAt.toISOString() } : {}),
    ...(a.lapsedAt ? { lapsedAt: a.lapsedAt.toISOString() } : {}),
    ...(a.passwordChangedAt ? { passwordChangedAt: a.passwordChangedAt.toISOString() } : {}),
    ...(a.lock?.at ? { lock: { reason: a.lock.reason ?? '', by: a.lock.by ?? '', at: a.lock.at.toISOString() } } : {}),
    ...(a.lastSignInAt ? { lastSignInAt: a.lastSignInAt.toISOString() } : {}),
    ...(a.acceptances ? { acceptances: acceptancesView(a.acceptances) } : {}),
    ...(a.link ? { link: { purpose: a.link.purpose, expiresAt: a.link.expiresAt.toISOString(), used: Boolean(a.link.usedAt) } } : {}),
    workflowId: accountWorkflowId(a._id),
  };
}

/** The accepted versions of the terms of use and the privacy statement, and when. */
function acceptancesView(acceptances: NonNullable<Account['acceptances']>) {
  const one = (d?: { version?: string | null; at?: Date | null } | null) => (d?.version && d.at ? { version: d.version, at: d.at.toISOString() } : undefined);
  return { ...(one(acceptances.terms) ? { terms: one(acceptances.terms) } : {}), ...(one(acceptances.privacy) ? { privacy: one(acceptances.privacy) } : {}) };
}

const unknownLink = () =>
  badRequest('this link is not valid; a newer link may have replaced it', [{ field: 'token', message: 'unknown link' }]);

export function createAccountService(deps: ServiceDeps) {
  const { PortalAccount, PendingPassword, Company } = deps.models;
  const now = deps.now ?? (() => new Date());
  const limits = deps.accountLimits ?? DEFAULT_ACCOUNT_LIMITS;
  const portal = deps.portal ?? DEFAULT_PORTAL_SETTINGS;
  /** Checked against when there is no account, so a miss costs what a wrong password costs. */
  let dummyHash: Promise<string> | undefined;
  const logger = deps.logger ?? createLogger('warn', { service: 'api' });
  const handle = (accountId: string): WorkflowHandle<typeof portalAccount> => deps.temporal.workflow.getHandle(accountWorkflowId(accountId));
  const rules = deps.calendar.rules;

  /**
   * Who registers, and every rule the registration breaks: by name, or by customer number and
   * Terminal-ID (docs/accounts-terminals.md; any mismatch gives the same error, and the company's
   * name joins the password check only once the pair matched, so it tells nothing either).
   */
  async function registrant(body: RegisterAccountBody) {
    const company = await Company.findOne({ customerNumber: body.customerNumber }, { name: 1, contract: 1, contact: 1 }).lean();
    const approved = company?.contract?.status === 'approved' ? company : undefined;
    if (body.terminalId !== undefined) {
      const match = await activeTerminal(deps.models, body.customerNumber, body.terminalId);
      const errors = policyErrors(body.password, { email: body.email, ...(match ? { companyName: match.companyName } : {}) }, rules);
      if (!match) errors.push(TERMINAL_MISMATCH);
      return { errors, company: match ? approved : undefined, name: match?.companyName ?? '' };
    }
    const errors = policyErrors(body.password, { name: body.name, email: body.email, ...(approved ? { companyName: approved.name } : {}) }, rules);
    if (!approved) errors.push({ field: 'customerNumber', message: 'is not the customer number of a company with an approved contract' });
    return { errors, company: approved, name: body.name ?? '' };
  }

  async function update<A>(accountId: string, def: UpdateDefinition<AccountUpdateResult, [A]>, arg: A) {
    try {
      const result = await executeUpdate(handle(accountId), def, [arg]);
      return { status: result.phase, at: result.at };
    } catch (err) {
      throw fromTemporal(err);
    }
  }

  /** The account whose current link has this token, if the link is of this purpose. */
  async function byToken(token: string, purpose: LinkPurpose) {
    const tokenHash = hashLinkToken(token);
    const account = await PortalAccount.findOne({ 'link.tokenHash': tokenHash }, { status: 1, 'link.purpose': 1 }).lean();
    if (!account || account.link?.purpose !== purpose) throw unknownLink();
    if (account.status === 'lapsed') {
      throw new HttpProblem(410, 'Gone', 'the activation link expired and the registration lapsed; please register again');
    }
    return { accountId: account._id as string, tokenHash };
  }

  async function existing(accountId: string) {
    const account = await PortalAccount.findById(accountId, { status: 1 }).lean();
    if (!account) throw notFound(`portal account ${accountId} not found`);
    if (account.status === 'lapsed') throw conflict('the registration lapsed; the account no longer exists', { accountStatus: 'lapsed' });
  }

  /**
   * Starts the account's workflow from its record (idempotent: the ID is derived
   * from the account's) and clears the record's pending mark; see creation.ts.
   * Used by registration, by a retried registration and by the sweep.
   */
  async function completeCreation(accountId: string): Promise<void> {
    const a = await PortalAccount.findById(accountId, { passwordHash: 0 }).lean();
    if (!a || !a.startPendingSince) return;
    const { customerNumber, companyId, registeredAt } = a;
    await startOnce(() =>
      deps.temporal.workflow.start<typeof portalAccount>('portalAccount', {
        taskQueue: deps.taskQueue,
        workflowId: accountWorkflowId(accountId),
        args: [{ accountId, customerNumber, companyId, registeredAt: registeredAt.toISOString() }],
        typedSearchAttributes: [
          { key: SA.customerNumber, value: customerNumber },
          { key: SA.companyId, value: companyId },
          { key: SA.phase, value: 'pending-activation' },
        ],
        staticSummary: `Portal account ${accountId} (customer ${customerNumber})`,
        staticDetails:
          `Portal account \`${accountId}\` of customer number ${customerNumber}, registered ` +
          `${deps.calendar.toLocalIso(registeredAt)}. Activation link valid ${deps.calendar.rules.accountLinkValidityHours} hours; ` +
          'then the account serves password resets (`requestReset`, `resetPassword`) and locks (`lock`, `unlock`).',
      }),
    );
    await clearPending(PortalAccount, accountId);
  }

  const service = {
    checkPassword: (body: { password: string } & PersonalData) => assessPassword(body.password, body, rules),

    async register(body: RegisterAccountBody) {
      const { errors, company, name } = await registrant(body);
      errors.push(...acceptanceErrors(portal, body.accept));
      if (errors.length || !company) throw unprocessable('the registration breaks a rule of the portal accounts', errors);

      const accountId = newId('ac');
      const registeredAt = now();
      let created;
      try {
        created = await PortalAccount.create({
          _id: accountId,
          emailKey: body.email.toLowerCase(),
          email: body.email,
          language: body.language ?? company.contact?.language ?? 'en',
          name,
          ...(body.terminalId ? { terminalId: body.terminalId } : {}),
          customerNumber: body.customerNumber,
          companyId: company._id,
          passwordHash: await hashPassword(body.password),
          status: 'pending-activation',
          registeredAt,
          acceptances: registrationAcceptances(portal, registeredAt),
          startPendingSince: registeredAt,
        });
      } catch (err) {
        if (isDuplicateKey(err)) {
          // A retry finishes a half-created registration, so its email is not blocked for good.
          const held = await PortalAccount.findOne({ emailKey: body.email.toLowerCase() }, { _id: 1 }).lean();
          if (held) await completeCreation(held._id as string);
          throw conflict('an account with this email is already pending activation or active');
        }
        throw err;
      }
      await deps.faults?.afterRecord?.('account', accountId);
      await completeCreation(accountId);
      return accountView(created.toObject() as Account);
    },

    completeCreation,

    async get(accountId: string) {
      const account = await PortalAccount.findById(accountId, { passwordHash: 0 }).lean();
      if (!account) throw notFound(`portal account ${accountId} not found`);
      return accountView(account as Account);
    },

    async activate(token: string) {
      const { accountId, tokenHash } = await byToken(token, 'activation');
      return { accountId, ...(await update(accountId, activateAccountUpdate, { tokenHash })) };
    },

    /**
     * "Forgotten password". Returns before it looks at any account, so the
     * answer and its timing are the same whatever the account's state
     * (unknown, pending, active, locked, limited); the lookup, the limits and
     * the signal run afterwards. A crash in between loses the request: the
     * user asks again.
     */
    requestReset(body: { customerNumber: string; email: string }): void {
      const work = async () => {
        const claim = await claimResetMail(deps.models, { emailKey: body.email.toLowerCase(), customerNumber: body.customerNumber }, limits, now());
        if (!claim) return; // no such active account, or limited: nothing to send
        try {
          await handle(claim.accountId).signal(requestResetSignal);
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) return;
          await releaseResetMail(deps.models.ResetClaim, claim); // nothing was asked for: the next request may try again
          throw err;
        }
      };
      work().catch((err: unknown) => logger.error({ error: String((err as Error)?.message ?? err) }, 'password-reset request failed'));
    },

    async confirmReset(body: { token: string; password: string }) {
      // The holder's name, company and email join the check when the token names an account; the token is judged after.
      const holder = await PortalAccount.findOne({ 'link.tokenHash': hashLinkToken(body.token) }, { name: 1, email: 1, companyId: 1 }).lean();
      const company = holder ? await Company.findById(holder.companyId, { name: 1 }).lean() : undefined;
      // Without an account behind the token only the five cheap rules run: the estimate costs CPU, and this endpoint is public.
      const errors = holder
        ? policyErrors(body.password, { name: holder.name, email: holder.email, companyName: company?.name }, rules)
        : checkPassword(body.password).violations.map((v) => ({ field: 'password', message: v.message, code: v.code, reason: v.reason }));
      if (errors.length) throw unprocessable('the new password breaks the password policy', errors);
      const { accountId, tokenHash } = await byToken(body.token, 'reset');
      // The hash stays in the database; the workflow gets its reference and commits it by that.
      const passwordRef = `pw_${randomBytes(16).toString('base64url')}`;
      const createdAt = now();
      await PendingPassword.deleteMany({ createdAt: { $lt: new Date(createdAt.getTime() - PENDING_PASSWORD_TTL_MS) } });
      await PendingPassword.create({ _id: passwordRef, accountId, hash: await hashPassword(body.password), createdAt });
      try {
        return { accountId, ...(await update(accountId, resetPasswordUpdate, { tokenHash, passwordRef })) };
      } catch (err) {
        // Refused (used, expired, locked...): nothing was committed, so the hash goes now. Any other error
        // (a timeout) may still end in a commit: that record waits for the pruning above.
        if (err instanceof HttpProblem) await PendingPassword.deleteOne({ _id: passwordRef, usedAt: { $exists: false } });
        throw err;
      }
    },

    /**
     * Checks an account's password (for the portal's sign-in) and, when it
     * matches a hash made with weaker parameters than today's, replaces that
     * hash with a current one (compare-and-set: a change in between wins).
     */
    async verifyAccountPassword(accountId: string, password: string): Promise<boolean> {
      const account = await PortalAccount.findById(accountId, { passwordHash: 1, status: 1 }).lean();
      if (!account || account.status === 'lapsed') {
        await verifyPassword(password, await (dummyHash ??= hashPassword(randomBytes(16).toString('base64url')))); // as long as a real check: the time tells nothing
        return false;
      }
      const stored = account.passwordHash;
      if (!(await verifyPassword(password, stored))) return false;
      if (needsRehash(stored)) {
        await PortalAccount.updateOne({ _id: accountId, passwordHash: stored }, { $set: { passwordHash: await hashPassword(password) } });
      }
      return true;
    },

    async lock(accountId: string, body: LockInput) {
      await existing(accountId);
      return update(accountId, lockAccountUpdate, body);
    },

    async unlock(accountId: string, body: UnlockInput) {
      await existing(accountId);
      return update(accountId, unlockAccountUpdate, body);
    },

    /** Sign-in (./sign-in.ts): the password is checked here, the account judged by its workflow. */
    signIn: (body: SignInBody) => signIn(body),
    /** The human check of a password-reset request (./human-check.ts): 422 unless the verifier accepts the token. */
    requireHuman: (token: string, remoteIp?: string) => requireHuman(portal, token, remoteIp),
    // Several customer numbers (./account-customer-numbers.ts).
    ...createCustomerNumberService(deps, { handle, logger }),
  };
  const signIn = createSignIn({ deps, settings: portal, view: accountView, verifyPassword: (id, password) => service.verifyAccountPassword(id, password) });
  return service;
}
