/**
 * A portal account (PROCESSES.md section 6), for as long as the account lives.
 *
 * Registration mails an activation link valid 24 hours; the `activate` Update
 * with the token's hash uses it, once. When the workflow's timer fires first,
 * the registration lapses (its email is free again) and the workflow ends.
 * An active account stays here: a `requestReset` signal mails a reset link
 * (24 hours, single use, a new one per request), `resetPassword` uses it,
 * customer service locks and unlocks. The API's sign-in attempts come here
 * too (`signIn`): wrong passwords in a row are counted, and the configured
 * number of them locks the account until customer service unlocks it
 * (docs/accounts.md). After `eventsPerRun` such events the workflow continues
 * as new with its state, so the history stays small.
 *
 * Links are minted and mailed by one activity; only their hashes are here.
 */
import { ActivityFailure, allHandlersFinished, ApplicationFailure, condition, continueAsNew, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import { DEFAULT_RULES, type BusinessRules } from '../domain/rules';
import {
  ACCOUNT_EVENTS_PER_RUN, accountStateQuery, activateAccountUpdate, conflict, invalidInput, linkGone,
  lockAccountUpdate, PASSWORD_REF, requestResetSignal, resetPasswordUpdate, SA, SIGN_IN_LOCK, signInUpdate,
  unlockAccountUpdate, type AccountCarried, type AccountLink, type AccountPhase, type AccountState,
  type AccountUpdateResult, type LinkPurpose, type PortalAccountInput, type PortalAccountResult, type SignInAttempt,
  type SignInResult,
} from './definitions';
import { customerNumbers } from './portal-account-numbers';
import { acts, calendarLoader, inOrder, now, requireText, showStatus } from './support';

export async function portalAccount(input: PortalAccountInput): Promise<PortalAccountResult> {
  // Handlers that need the rules wait for them without an extra yield once loaded (`if (!rules()) await loaded`),
  // so the Updates of existing histories replay unchanged.
  const { loaded, ifLoaded } = calendarLoader();
  const rules = (): BusinessRules | undefined => ifLoaded()?.rules;
  const { accountId } = input;
  const account: AccountCarried = input.carried ?? { phase: 'pending-activation', resetsIssued: 0, locks: 0, resetRequested: false, runs: 0 };
  account.runs += 1;
  const eventsPerRun = input.eventsPerRun ?? ACCOUNT_EVENTS_PER_RUN;
  let events = 0; // this run's reset requests, password changes, locks and unlocks
  let version = 0; // bumped on every change, so the main loop republishes the status
  /** Set while a link is minted and mailed: its hash is not known here until the activity returns. */
  let issuing: LinkPurpose | undefined;
  /** Locks by wrong passwords whose record and mail are still under way (continue-as-new waits for them). */
  let locking = 0;
  const serial = inOrder();
  // Several customer numbers: their Updates and the confirmation link's lapse (./portal-account-numbers.ts).
  let numbers!: ReturnType<typeof customerNumbers>;

  handlers(); // before the first await: an Update that comes with a run's first task (or with the start) finds them

  // ---- The story: activated within the link's validity (or lapsed), then served for as long as it lives ----
  await loaded;
  if (account.phase === 'pending-activation' && !(await activatedInTime())) return lapsed();
  for (;;) await served();

  // ---- 1. Activated with the link mailed at registration, before it expires ----------------
  async function activatedInTime(): Promise<boolean> {
    if (!account.link) await issueLink('activation');
    publish();
    const remaining = Math.max(1, Date.parse(account.link!.expiresAt) - Date.now());
    await condition(() => account.phase !== 'pending-activation', remaining, { summary: 'activation link expires' });
    return account.phase !== 'pending-activation';
  }

  async function lapsed(): Promise<PortalAccountResult> {
    const lapsedAt = now();
    account.phase = 'lapsed';
    account.lapsedAt = lapsedAt;
    account.link!.closed = { reason: 'expired', at: lapsedAt };
    await acts.lapseAccount({ accountId, at: lapsedAt });
    publish();
    await condition(allHandlersFinished);
    return { phase: 'lapsed', lapsedAt };
  }

  // ---- 2. Served: a link expires, a reset is requested, or the run continues as new ------------
  async function served(): Promise<void> {
    publish();
    if (await linkExpiredFirst()) return;
    if (account.resetRequested) {
      account.resetRequested = false;
      if (account.phase === 'active') {
        events += 1;
        await issueLink('reset');
      }
    } else if (timeToContinueAsNew()) {
      await condition(() => allHandlersFinished() && locking === 0);
      await continueAsNew<typeof portalAccount>({ ...input, carried: account });
    }
  }

  /**
   * Waits for a change, a reset request or the end of the run, or for the earlier of the account's link and a
   * customer-number confirmation link to expire (the account's wins a tie). True when a link expired first: it is closed.
   */
  async function linkExpiredFirst(): Promise<boolean> {
    const seen = version;
    const link = openLink();
    const numberLink = numbers.due(); // only in histories marked with CUSTOMER_NUMBERS_PATCH
    const wake = () => version !== seen || account.resetRequested || timeToContinueAsNew();
    if (!link && !numberLink) {
      await condition(wake);
      return false;
    }
    const linkDue = link ? Date.parse(link.expiresAt) : Infinity;
    const due = Math.min(linkDue, numberLink?.at ?? Infinity);
    const remaining = due - Date.now();
    const summary = link && due === linkDue ? `${LINK_NAME[link.purpose]} expires` : numberLink!.summary;
    if (remaining > 0 && (await condition(wake, remaining, { summary }))) return false;
    if (link && due === linkDue) {
      if (account.link === link && !link.closed) link.closed = { reason: 'expired', at: now() };
    } else {
      await numbers.lapse();
    }
    return true;
  }

  function timeToContinueAsNew(): boolean {
    return events >= eventsPerRun || workflowInfo().continueAsNewSuggested;
  }

  // ---- What the holder, the API and customer service can do: one line each ----------------
  function handlers(): void {
    setHandler(accountStateQuery, shownState);
    setHandler(requestResetSignal, requestReset);
    setHandler(activateAccountUpdate, activate, { validator: ({ tokenHash }) => validateLink('activation', tokenHash) });
    setHandler(resetPasswordUpdate, resetPassword, { validator: validateReset });
    setHandler(lockAccountUpdate, ({ reason, by }) => setLock(by, reason), { validator: ({ reason, by }) => requirePhase('active', 'locked', { reason, by }) });
    setHandler(unlockAccountUpdate, ({ by }) => setLock(by), { validator: ({ by }) => requirePhase('locked', 'unlocked', { by }) });
    // Refusals write no history: hammering a locked or pending account costs nothing here.
    setHandler(signInUpdate, signIn, { validator: validateSignIn });
    numbers = customerNumbers({ accountId, registered: input.customerNumber, account, rules, loaded, serial, changed });
  }

  /** Only an active account gets a reset link; the story mails it. */
  function requestReset(): void {
    if (account.phase === 'active') account.resetRequested = true;
  }

  /** The account as the API shows it: the links' hashes stay here. */
  function shownState(): AccountState {
    const { link, numberLink, ...rest } = account;
    const { tokenHash: _secret, ...shown } = link ?? ({} as AccountLink);
    const { tokenHash: _numberSecret, ...numberShown } = numberLink ?? { tokenHash: '' };
    return {
      accountId,
      customerNumber: input.customerNumber,
      registeredAt: input.registeredAt,
      ...rest,
      ...(link ? { link: shown } : {}),
      ...(numberLink ? { numberLink: numberShown as NonNullable<AccountState['numberLink']> } : {}),
    };
  }

  async function activate({ tokenHash }: { tokenHash: string }): Promise<AccountUpdateResult> {
    const at = await useLink('activation', tokenHash);
    account.phase = 'active';
    account.activatedAt = at;
    changed(false);
    await serial(() => acts.activateAccount({ accountId, at }));
    return { phase: 'active', at };
  }

  async function resetPassword({ tokenHash, passwordRef, passwordHash }: { tokenHash: string; passwordRef?: string; passwordHash?: string }): Promise<AccountUpdateResult> {
    const at = await useLink('reset', tokenHash);
    const link = account.link!;
    const before = account.passwordChangedAt;
    account.passwordChangedAt = at;
    changed(true);
    // Histories from before the hash left them carry `passwordHash`: replayed with the same activity input.
    const password = passwordHash !== undefined ? { passwordHash } : { passwordRef: passwordRef! };
    try {
      await serial(() => acts.changeAccountPassword({ accountId, ...password, at }));
    } catch (err) {
      // Nothing changed (an unknown or used reference): the link stays usable.
      if (account.link === link && link.closed?.at === at) delete link.closed;
      if (account.passwordChangedAt === at) account.passwordChangedAt = before;
      changed(false);
      // The caller gets the commit's typed failure (unknown reference: NotFound; used: Conflict).
      throw err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : err;
    }
    return { phase: account.phase, at };
  }

  /** Not run on replay: histories with `passwordHash` replay; new Updates must bring a reference. */
  function validateReset({ tokenHash, passwordRef, passwordHash }: { tokenHash: string; passwordRef?: string; passwordHash?: string }): void {
    if (passwordHash !== undefined) throw invalidInput('send passwordRef, not a hash: hashes stay out of workflow history', { field: 'password' });
    if (typeof passwordRef !== 'string' || !PASSWORD_REF.test(passwordRef)) {
      throw invalidInput('passwordRef must be the reference of a password hash stored by the API', { field: 'password' });
    }
    validateLink('reset', tokenHash);
  }

  function validateSignIn(attempt: SignInAttempt): void {
    if (typeof attempt?.passwordOk !== 'boolean' || typeof attempt.complete !== 'boolean') {
      throw invalidInput('passwordOk and complete must be booleans', { field: 'password' });
    }
    if (account.phase !== 'active') throw conflict(`Only an active account signs in; this one is ${account.phase}`, { phase: account.phase });
  }

  // ---- The handlers' parts -------------------------------------------------------------------

  /** Local time; a validator that runs before the rules are loaded shows UTC. */
  function local(iso: string): string {
    return ifLoaded()?.toLocalIso(new Date(iso)) ?? iso;
  }

  function openLink(): AccountLink | undefined {
    return account.link && !account.link.closed ? account.link : undefined;
  }

  function changed(countsAsEvent: boolean): void {
    version += 1;
    if (countsAsEvent) events += 1;
  }

  function checkLink(purpose: LinkPurpose, tokenHash: string): void {
    const link = account.link;
    if (!link || link.purpose !== purpose || link.tokenHash !== tokenHash) {
      throw invalidInput(`This is not a valid ${LINK_NAME[purpose]} for this account (a newer link may have replaced it)`, { field: 'token' });
    }
    if (link.closed?.reason === 'used') throw linkGone(`This ${LINK_NAME[purpose]} was already used on ${local(link.closed.at)}`, 'used');
    if (link.closed?.reason === 'revoked') throw linkGone(`This ${LINK_NAME[purpose]} was revoked when the account was locked`, 'revoked');
    if (link.closed || Date.now() >= Date.parse(link.expiresAt)) {
      const lapsed = purpose === 'activation' ? '; the registration lapsed, please register again' : '';
      throw linkGone(`This ${LINK_NAME[purpose]} expired on ${local(link.expiresAt)}${lapsed}`, 'expired');
    }
    if (purpose === 'reset' && account.phase === 'locked') throw conflict('The account is locked: customer service must unlock it first', { phase: account.phase });
  }

  /** Validators check the link at once, unless it is still being mailed (users can be quick): then the handler checks. */
  function validateLink(purpose: LinkPurpose, tokenHash: unknown): void {
    if (typeof tokenHash !== 'string' || !/^[0-9a-f]{64}$/.test(tokenHash)) {
      throw invalidInput('tokenHash must be a SHA-256 hex digest', { field: 'token' });
    }
    if (issuing !== purpose) checkLink(purpose, tokenHash);
  }

  /** Marks the link used and returns when; refuses like the validator. */
  async function useLink(purpose: LinkPurpose, tokenHash: string): Promise<string> {
    if (!rules()) await loaded;
    if (issuing === purpose) await condition(() => issuing !== purpose);
    checkLink(purpose, tokenHash);
    const at = now();
    account.link!.closed = { reason: 'used', at };
    return at;
  }

  function requirePhase(phase: AccountPhase, action: string, fields: Record<string, unknown>): void {
    for (const [field, value] of Object.entries(fields)) requireText(value, field);
    if (account.phase !== phase) throw conflict(`Only ${phase === 'active' ? 'an active' : 'a locked'} account can be ${action}; this one is ${account.phase}`, { phase: account.phase });
  }

  /** Customer service locks (with a reason) or unlocks, or wrong passwords lock (`bySignIn`); the holder is mailed either way. */
  async function setLock(by: string, reason?: string, bySignIn?: { attempts: number }): Promise<AccountUpdateResult> {
    const at = now();
    if (reason === undefined) {
      account.phase = 'active';
      delete account.lock;
      if (account.failedSignIns) account.failedSignIns = 0;
    } else {
      account.phase = 'locked';
      account.lock = { reason, by, at };
      account.locks += 1;
      if (openLink()?.purpose === 'reset') account.link!.closed = { reason: 'revoked', at };
    }
    const phase = account.phase;
    changed(true);
    const template = phase === 'locked' ? (bySignIn ? 'account-locked-sign-in' : 'account-locked') : 'account-unlocked';
    const data: Record<string, string> = bySignIn ? { attempts: String(bySignIn.attempts) } : reason ? { reason } : {};
    await serial(() => acts.recordAccountLock({ accountId, locked: phase === 'locked', reason, by, at }));
    await serial(() => acts.notifyAccountHolder({ accountId, template, period: String(account.locks), data }));
    return { phase, at };
  }

  // ---- sign-in: the API judged the password, the workflow judges the account ----------------
  function maxFailures(): number {
    return rules()!.accountSignInMaxFailures ?? DEFAULT_RULES.accountSignInMaxFailures; // runs begun before the rule existed
  }

  async function signIn({ passwordOk, accepted, complete }: SignInAttempt): Promise<SignInResult> {
    if (!rules()) await loaded;
    if (account.phase !== 'active') throw conflict(`Only an active account signs in; this one is ${account.phase}`, { phase: account.phase });
    changed(true);
    if (!passwordOk) {
      const failures = (account.failedSignIns ?? 0) + 1;
      account.failedSignIns = failures;
      if (failures >= maxFailures()) {
        // Locked now (setLock changes the state before it awaits anything); the record and the mail follow without
        // holding up the answer, which must take as long as any other refusal.
        locking += 1;
        void setLock(SIGN_IN_LOCK.by, SIGN_IN_LOCK.reason, { attempts: failures })
          .catch(() => undefined) // only a vanished record fails here; the lock stands
          .finally(() => (locking -= 1));
      }
      return { outcome: 'wrong-password', failures, locked: failures >= maxFailures() };
    }
    account.failedSignIns = 0;
    if (!complete) return { outcome: 'acceptance-required' };
    const previousAt = account.lastSignInAt;
    const at = now();
    account.lastSignInAt = at;
    await serial(() => acts.recordSignIn({ accountId, at, ...(accepted ? { accepted } : {}) }));
    return { outcome: 'signed-in', at, ...(previousAt ? { previousAt } : {}) };
  }

  async function issueLink(purpose: LinkPurpose): Promise<void> {
    const issue = purpose === 'activation' ? 1 : (account.resetsIssued += 1);
    const issuedAt = new Date();
    const expiresAt = new Date(issuedAt.getTime() + rules()!.accountLinkValidityHours * HOUR_MS).toISOString();
    issuing = purpose;
    const { tokenHash } = await serial(() => acts.issueAccountLink({ accountId, purpose, issue, issuedAt: issuedAt.toISOString(), expiresAt }));
    account.link = { purpose, issue, tokenHash, expiresAt };
    issuing = undefined;
    if (account.phase === 'locked') account.link.closed = { reason: 'revoked', at: now() };
    changed(false);
  }

  function publish(): void {
    const link = openLink();
    const since = (iso: string | undefined) => (iso ? local(iso) : '?');
    const details: Record<AccountPhase, string> = {
      'pending-activation': `Waiting for the activation link to be used, until ${link ? local(link.expiresAt) : '?'}`,
      active:
        (link
          ? `Active; waiting for the password-reset link to be used, until ${local(link.expiresAt)}`
          : `Active since ${since(account.activatedAt)}; waiting for password-reset requests or a lock`) +
        (account.failedSignIns ? ` (${account.failedSignIns} of ${maxFailures()} wrong passwords in a row)` : ''),
      locked: `Locked on ${since(account.lock?.at)} by ${account.lock?.by}: ${account.lock?.reason}; waiting for customer service to unlock`,
      lapsed: `Lapsed on ${since(account.lapsedAt)}: the activation link was not used in time; the email may register again`,
    };
    showStatus({
      phase: account.phase,
      nextDueAt: link ? new Date(link.expiresAt) : null,
      details: details[account.phase],
      extra: [
        { key: SA.customerNumber, value: input.customerNumber },
        { key: SA.companyId, value: input.companyId },
        ...(patched(SIGN_IN_PATCH) ? [{ key: SA.failedSignIns, value: account.failedSignIns ?? 0 }] : []),
      ],
    });
  }
}

// ---- The patches this workflow asks for (workflows/patches.json) ----------------------------

/** New histories publish the FailedSignIns search attribute; older ones replay without it. */
const SIGN_IN_PATCH = 'sign-in-lockout';

const HOUR_MS = 3_600_000;
const LINK_NAME: Record<LinkPurpose, string> = { activation: 'activation link', reset: 'password-reset link' };
