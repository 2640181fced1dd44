/**
 * The portal-account workflow (PROCESSES.md section 6) on the Java
 * time-skipping test server: a real Worker with the real activities, a fresh
 * database on the real FerretDB and a real SMTP receiver. Every token is read
 * from the mail that crossed SMTP, as a user would.
 */
import { randomBytes } from 'node:crypto';
import { WithStartWorkflowOperation, type WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities, type Activities } from '../../activities';
import { hashLinkToken, type IssueLinkInput, type IssueLinkResult } from '../../activities/accounts';
import { BusinessCalendar } from '../../domain/calendar';
import { DEFAULT_RULES } from '../../domain/rules';
import { createMailer } from '../../email/mailer';
import type { portalAccount } from '../../workflows';
import {
  accountStateQuery,
  accountWorkflowId,
  activateAccountUpdate,
  FailureType,
  lockAccountUpdate,
  requestResetSignal,
  resetPasswordUpdate,
  SA,
  SIGN_IN_LOCK,
  signInUpdate,
  unlockAccountUpdate,
  addCustomerNumberUpdate,
  confirmCustomerNumberUpdate,
  removeCustomerNumberUpdate,
  requestCustomerNumberUpdate,
  type AccountCarried,
} from '../../workflows/definitions';
import { DEFAULT_SERVICE_CONTACT } from '../../activities/accounts';
import { recordHistory } from '../support/histories';
import { eventually } from '../support/servers';
import { startSmtpReceiver, type ReceivedMail } from '../../stack/smtp-receiver';
import { MAIL_FROM as FROM, freshAttempt, useWorkflowHarness, updateRefusal as refusal } from '../support/workflow-harness';
import { insertCompany } from '../support/fixtures';

const HOUR = 3_600_000;
const LINK_VALIDITY = DEFAULT_RULES.accountLinkValidityHours * HOUR;
const BASE_URL = 'https://portal.xs-key.example';
const calendar = new BusinessCalendar(DEFAULT_RULES);

/** When set, the SMTP call returns only once it resolves (the mail has gone out by then). */
let holdAfterSend: Promise<void> | undefined;

const h = useWorkflowHarness({ publicBaseUrl: BASE_URL });
beforeAll(async () => {
  const { transport } = h.mailer;
  const send = transport.sendMail.bind(transport) as (m: object) => Promise<unknown>;
  transport.sendMail = (async (message: object) => {
    const info = await send(message);
    await holdAfterSend;
    return info;
  }) as typeof transport.sendMail;
});

// ---- helpers ------------------------------------------------------------------------

const hex = (n: number): string => randomBytes(n).toString('hex');

/** A pending account as the registration API leaves it; its email is unique to the test unless given. */
async function createAccount(email = `holder.${hex(6)}@portal.example`) {
  const account = {
    _id: `ac_${hex(8)}`,
    emailKey: email.toLowerCase(),
    email,
    language: 'en' as const,
    name: 'de Vries',
    customerNumber: `C${hex(4).toUpperCase()}`,
    companyId: `co_${hex(8)}`,
    passwordHash: 'scrypt$32768$8$1$c2FsdA$a2V5',
    status: 'pending-activation',
    registeredAt: new Date(await h.env.currentTimeMs()),
  };
  await h.db.models.PortalAccount.create(account);
  return account;
}
type Account = Awaited<ReturnType<typeof createAccount>>;

function start(account: Account, eventsPerRun?: number): Promise<WorkflowHandle<typeof portalAccount>> {
  return h.client.workflow.start<typeof portalAccount>('portalAccount', {
    taskQueue: h.taskQueue,
    workflowId: accountWorkflowId(account._id),
    args: [
      {
        accountId: account._id,
        customerNumber: account.customerNumber,
        companyId: account.companyId,
        registeredAt: account.registeredAt.toISOString(),
        ...(eventsPerRun ? { eventsPerRun } : {}),
      },
    ],
  });
}

const mailsTo = (address: string) => h.receiver.messages.filter((m) => m.to.some((to) => to.toLowerCase() === address.toLowerCase()));
const record = (account: Account) => h.db.models.PortalAccount.findById(account._id).lean();

async function nthMail(address: string, n: number): Promise<ReceivedMail> {
  return eventually(async () => mailsTo(address)[n - 1]);
}

/** The link and its token in a mail, as the user sees them. */
function linkIn(mail: ReceivedMail): { url: string; token: string; tokenHash: string } {
  const match = /(https:\/\/\S+\?token=([A-Za-z0-9_-]{43}))(?=\s)/.exec(mail.text);
  expect(match).not.toBeNull();
  return { url: match![1]!, token: match![2]!, tokenHash: hashLinkToken(match![2]!) };
}

const stateOf = (handle: WorkflowHandle) => handle.query(accountStateQuery);
const detailsOf = async (handle: WorkflowHandle) =>
  ((await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails ?? '');

/** An account whose activation link has been used. */
async function activeAccount(eventsPerRun?: number) {
  const account = await createAccount();
  const handle = await start(account, eventsPerRun);
  const { tokenHash } = linkIn(await nthMail(account.email, 1));
  await handle.executeUpdate(activateAccountUpdate, { args: [{ tokenHash }] });
  return { account, handle };
}

/** Asks for a reset and returns the link of the n-th mail to the holder. */
async function requestReset(account: Account, handle: WorkflowHandle, nth: number) {
  await handle.signal(requestResetSignal);
  return linkIn(await nthMail(account.email, nth));
}

const newHash = () => `scrypt$131072$8$1$${hex(8)}$${hex(16)}`;

/** A new password's hash stored as the API stores it; the workflow gets only the reference. */
async function pendingPassword(account: Account) {
  const passwordRef = `pw_${randomBytes(16).toString('base64url')}`;
  const hash = newHash();
  await h.db.models.PendingPassword.create({ _id: passwordRef, accountId: account._id, hash, createdAt: new Date() });
  return { passwordRef, hash };
}

// ---- activation ---------------------------------------------------------------------

test('the activation link works once within 24 hours; a second use is refused as used', async () => {
  const account = await createAccount();
  const handle = await start(account);

  const mail = await nthMail(account.email, 1);
  expect(mail.subject).toBe('Activate your XS-Key portal account');
  const { url, token, tokenHash } = linkIn(mail);
  expect(url).toBe(`${BASE_URL}/v1/accounts/activation?token=${token}`);

  // Only the hash is kept: on the record, in the workflow; the query shows neither.
  const state = await eventually(async () => ((await stateOf(handle)).link ? stateOf(handle) : undefined));
  const expiresAt = new Date(state.link!.expiresAt);
  expect(expiresAt.getTime() - account.registeredAt.getTime()).toBeGreaterThanOrEqual(LINK_VALIDITY);
  expect(expiresAt.getTime() - account.registeredAt.getTime()).toBeLessThan(LINK_VALIDITY + 10_000);
  expect(mail.text).toContain(calendar.toLocalIso(expiresAt).slice(0, 16).replace('T', ' '));
  expect(state).toMatchObject({ phase: 'pending-activation', link: { purpose: 'activation', issue: 1 } });
  expect(JSON.stringify(state)).not.toContain(tokenHash);
  const stored = await record(account);
  expect(stored?.link).toMatchObject({ purpose: 'activation', issue: 1, tokenHash, delivery: 'sent' });
  expect(JSON.stringify(stored)).not.toContain(token);
  const description = await handle.describe();
  expect(description.typedSearchAttributes.get(SA.phase)).toBe('pending-activation');
  expect(description.typedSearchAttributes.get(SA.nextDueAt)?.getTime()).toBe(expiresAt.getTime());
  expect(await detailsOf(handle)).toBe(`Waiting for the activation link to be used, until ${calendar.toLocalIso(expiresAt)}`);

  await h.env.sleep(LINK_VALIDITY - HOUR);
  const wrong = await refusal(handle.executeUpdate(activateAccountUpdate, { args: [{ tokenHash: hashLinkToken('x'.repeat(43)) }] }));
  expect(wrong.type).toBe(FailureType.InvalidInput);
  const activated = await handle.executeUpdate(activateAccountUpdate, { args: [{ tokenHash }] });
  expect(activated.phase).toBe('active');

  const again = await refusal(handle.executeUpdate(activateAccountUpdate, { args: [{ tokenHash }] }));
  expect(again.type).toBe(FailureType.Gone);
  expect(again.message).toMatch(/already used/);
  expect(await record(account)).toMatchObject({ status: 'active', activatedAt: new Date(activated.at), link: { usedAt: expect.any(Date) } });
  expect(await stateOf(handle)).toMatchObject({ phase: 'active', activatedAt: activated.at });
  expect((await handle.describe()).typedSearchAttributes.get(SA.phase)).toBe('active');
  expect(mailsTo(account.email)).toHaveLength(1);

  const history = JSON.stringify((await handle.fetchHistory()).events);
  expect(history).not.toContain(token);
  await recordHistory(handle, 'portal-account-activated');
});

test('a link used before the activity that mailed it has returned still works: the Update waits for its hash', async () => {
  let release!: () => void;
  holdAfterSend = new Promise((resolve) => (release = resolve));
  try {
    const account = await createAccount();
    const handle = await start(account);
    const { tokenHash } = linkIn(await nthMail(account.email, 1));
    expect((await stateOf(handle)).link).toBeUndefined(); // the activity is still running

    const activating = handle.executeUpdate(activateAccountUpdate, { args: [{ tokenHash }] });
    await new Promise((r) => setTimeout(r, 500));
    expect((await stateOf(handle)).phase).toBe('pending-activation');
    release();
    expect(await activating).toMatchObject({ phase: 'active' });
    expect((await record(account))?.status).toBe('active');
  } finally {
    holdAfterSend = undefined;
    release();
  }
});

test('an activation link unused for 24 hours lapses the registration; the same email registers again', async () => {
  const account = await createAccount();
  const handle = await start(account);
  const { tokenHash } = linkIn(await nthMail(account.email, 1));
  const { link } = await eventually(async () => ((await stateOf(handle)).link ? stateOf(handle) : undefined));

  await h.env.sleep(Date.parse(link!.expiresAt) - (await h.env.currentTimeMs()) - 60_000);
  expect((await stateOf(handle)).phase).toBe('pending-activation');
  await h.env.sleep(120_000);

  expect(await handle.result()).toMatchObject({ phase: 'lapsed' });
  const lapsed = await record(account);
  expect(lapsed).toMatchObject({ status: 'lapsed', emailKey: `lapsed:${account._id}`, lapsedAt: expect.any(Date) });
  expect((await handle.describe()).typedSearchAttributes.get(SA.phase)).toBe('lapsed');
  await expect(handle.executeUpdate(activateAccountUpdate, { args: [{ tokenHash }] })).rejects.toThrow();
  expect((await record(account))?.status).toBe('lapsed');

  const again = await createAccount(account.email.toUpperCase()); // same email, other case
  await start(again);
  const second = linkIn(await nthMail(again.email, 2));
  expect(second.tokenHash).not.toBe(tokenHash);
  expect(mailsTo(account.email)).toHaveLength(2);
  await recordHistory(handle, 'portal-account-lapsed');
});

// ---- password reset -----------------------------------------------------------------

test('a reset link works once; reusing it, or using one a newer request replaced, is refused', async () => {
  const { account, handle } = await activeAccount();
  const first = await requestReset(account, handle, 2);
  expect(mailsTo(account.email)[1]!.subject).toBe('Reset your XS-Key portal password');
  expect(first.url).toBe(`${BASE_URL}/v1/accounts/password-reset/confirm?token=${first.token}`);
  const second = await requestReset(account, handle, 3);
  expect(second.token).not.toBe(first.token);

  const replaced = await refusal(handle.executeUpdate(resetPasswordUpdate, { args: [{ tokenHash: first.tokenHash, ...(await pendingPassword(account)) }] }));
  expect(replaced.type).toBe(FailureType.InvalidInput);

  const { passwordRef, hash } = await pendingPassword(account);
  const done = await handle.executeUpdate(resetPasswordUpdate, { args: [{ tokenHash: second.tokenHash, passwordRef }] });
  expect(done.phase).toBe('active');
  expect(await record(account)).toMatchObject({ passwordHash: hash, passwordChangedAt: new Date(done.at), link: { purpose: 'reset', issue: 2 } });
  // Committed: the pending copy of the hash is gone, the reference marked used.
  const used = await h.db.models.PendingPassword.findById(passwordRef).lean();
  expect(used).toMatchObject({ usedAt: new Date(done.at) });
  expect(used?.hash).toBeUndefined();

  const reused = await refusal(handle.executeUpdate(resetPasswordUpdate, { args: [{ tokenHash: second.tokenHash, passwordRef: (await pendingPassword(account)).passwordRef }] }));
  expect(reused.type).toBe(FailureType.Gone);
  expect((await record(account))?.passwordHash).toBe(hash);
  expect(await stateOf(handle)).toMatchObject({ phase: 'active', resetsIssued: 2, link: { purpose: 'reset', closed: { reason: 'used' } } });
  // Neither hash nor reference material beyond the reference reaches the history.
  const history = JSON.stringify(await handle.fetchHistory(), (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v));
  expect(history).not.toContain('scrypt$');
  expect(history).not.toContain(hash.split('$')[5]);
  await recordHistory(handle, 'portal-account-reset');
});

test('a reset link unused for 24 hours is refused as expired; the account stays active', async () => {
  const { account, handle } = await activeAccount();
  const { tokenHash } = await requestReset(account, handle, 2);
  const { link } = await eventually(async () => ((await stateOf(handle)).link?.purpose === 'reset' ? stateOf(handle) : undefined));
  expect((await handle.describe()).typedSearchAttributes.get(SA.nextDueAt)?.toISOString()).toBe(link!.expiresAt);

  await h.env.sleep(LINK_VALIDITY + 60_000);
  expect(await stateOf(handle)).toMatchObject({ phase: 'active', link: { closed: { reason: 'expired' } } });
  const expired = await refusal(handle.executeUpdate(resetPasswordUpdate, { args: [{ tokenHash, ...(await pendingPassword(account)) }] }));
  expect(expired.type).toBe(FailureType.Gone);
  expect(expired.message).toMatch(/expired/);
  expect((await record(account))?.passwordChangedAt).toBeUndefined();
  expect((await handle.describe()).typedSearchAttributes.get(SA.nextDueAt)).toBeUndefined();
  expect(await detailsOf(handle)).toMatch(/^Active since .*; waiting for password-reset requests or a lock$/);
});

test('a reset Update must bring a reference: a hash, a malformed, unknown or used reference is refused and the link stays usable', async () => {
  const { account, handle } = await activeAccount();
  const { tokenHash } = await requestReset(account, handle, 2);
  const other = await activeAccount();

  // Refused by the validator (so never written to the history): a hash, or no proper reference.
  for (const arg of [{ tokenHash, passwordHash: newHash() }, { tokenHash }, { tokenHash, passwordRef: 'pw_short' }]) {
    const refused = await refusal(handle.executeUpdate(resetPasswordUpdate, { args: [arg] }));
    expect({ arg, type: refused.type }).toEqual({ arg, type: FailureType.InvalidInput });
  }
  // Refused by the commit: unknown, another account's, or already used by another commit. Nothing changes.
  const unknown = `pw_${randomBytes(16).toString('base64url')}`;
  const othersRef = (await pendingPassword(other.account)).passwordRef;
  const usedRef = await pendingPassword(account);
  await h.db.models.PendingPassword.updateOne({ _id: usedRef.passwordRef }, { $set: { usedAt: new Date(), usedBy: 'account:elsewhere/1' } });
  for (const [passwordRef, type] of [
    [unknown, FailureType.NotFound],
    [othersRef, FailureType.NotFound],
    [usedRef.passwordRef, FailureType.Conflict],
  ] as const) {
    const refused = await refusal(handle.executeUpdate(resetPasswordUpdate, { args: [{ tokenHash, passwordRef }] }));
    expect({ passwordRef, type: refused.type }).toEqual({ passwordRef, type });
  }
  expect((await record(account))?.passwordHash).toBe(account.passwordHash);
  expect((await record(account))?.passwordChangedAt).toBeUndefined();
  expect((await stateOf(handle)).link?.closed).toBeUndefined();

  const { passwordRef, hash } = await pendingPassword(account);
  await handle.executeUpdate(resetPasswordUpdate, { args: [{ tokenHash, passwordRef }] });
  expect((await record(account))?.passwordHash).toBe(hash);
});

// ---- lock and unlock ----------------------------------------------------------------

test('customer service locks and unlocks; a lock revokes the open reset link and stops new ones', async () => {
  const pending = await createAccount();
  const pendingHandle = await start(pending);
  await nthMail(pending.email, 1);
  const early = await refusal(pendingHandle.executeUpdate(lockAccountUpdate, { args: [{ reason: 'Misuse', by: 'cs-1' }] }));
  expect(early.type).toBe(FailureType.Conflict);

  const { account, handle } = await activeAccount();
  const open = await requestReset(account, handle, 2);
  const locked = await handle.executeUpdate(lockAccountUpdate, { args: [{ reason: 'Suspicious sign-ins', by: 'cs-1' }] });
  expect(locked.phase).toBe('locked');
  expect(await record(account)).toMatchObject({ status: 'locked', lock: { reason: 'Suspicious sign-ins', by: 'cs-1' } });
  expect((await nthMail(account.email, 3)).subject).toBe('Your XS-Key portal account is locked');
  expect((await refusal(handle.executeUpdate(lockAccountUpdate, { args: [{ reason: 'Again', by: 'cs-2' }] }))).type).toBe(FailureType.Conflict);
  const revoked = await refusal(handle.executeUpdate(resetPasswordUpdate, { args: [{ tokenHash: open.tokenHash, ...(await pendingPassword(account)) }] }));
  expect(revoked).toMatchObject({ type: FailureType.Gone, message: expect.stringMatching(/revoked/) });
  expect((await handle.describe()).typedSearchAttributes.get(SA.phase)).toBe('locked');
  expect(await detailsOf(handle)).toMatch(/^Locked on .* by cs-1: Suspicious sign-ins; waiting for customer service to unlock$/);

  await handle.signal(requestResetSignal); // ignored while locked
  const unlocked = await handle.executeUpdate(unlockAccountUpdate, { args: [{ by: 'cs-2' }] });
  expect(unlocked.phase).toBe('active');
  expect((await nthMail(account.email, 4)).subject).toBe('Your XS-Key portal account is unlocked');
  expect((await record(account))?.status).toBe('active');
  expect((await record(account))?.lock).toBeUndefined();
  expect(await stateOf(handle)).toMatchObject({ phase: 'active', resetsIssued: 1, locks: 1 });
  expect((await refusal(handle.executeUpdate(unlockAccountUpdate, { args: [{ by: 'cs-2' }] }))).type).toBe(FailureType.Conflict);
  expect(mailsTo(account.email)).toHaveLength(4);

  const fresh = await requestReset(account, handle, 5);
  await handle.executeUpdate(resetPasswordUpdate, { args: [{ tokenHash: fresh.tokenHash, passwordRef: (await pendingPassword(account)).passwordRef }] });
  await recordHistory(handle, 'portal-account-locked-unlocked');
});

// ---- sign-in: wrong passwords in a row lock the account (docs/accounts.md) -----------------

const MAX_FAILURES = DEFAULT_RULES.accountSignInMaxFailures;
const wrong = { passwordOk: false, complete: true };
const right = { passwordOk: true, complete: true };
const failedSignIns = async (handle: WorkflowHandle) => (await handle.describe()).typedSearchAttributes.get(SA.failedSignIns);

test('wrong passwords in a row lock the account at the limit: one mail naming customer service; only customer service unlocks', async () => {
  const { account, handle } = await activeAccount();
  expect(await failedSignIns(handle)).toBe(0);
  for (let n = 1; n < MAX_FAILURES; n += 1) {
    expect(await handle.executeUpdate(signInUpdate, { args: [wrong] })).toEqual({ outcome: 'wrong-password', failures: n, locked: false });
  }
  expect(await failedSignIns(handle)).toBe(MAX_FAILURES - 1);
  expect(await detailsOf(handle)).toMatch(new RegExp(`\\(${MAX_FAILURES - 1} of ${MAX_FAILURES} wrong passwords in a row\\)$`));

  expect(await handle.executeUpdate(signInUpdate, { args: [wrong] })).toEqual({ outcome: 'wrong-password', failures: MAX_FAILURES, locked: true });
  const mail = await nthMail(account.email, 2);
  expect(mail.subject).toBe('Your XS-Key portal access is locked');
  expect(mail.text).toContain(`entered wrongly ${MAX_FAILURES} times in a row`);
  expect(mail.text).toContain(DEFAULT_SERVICE_CONTACT);
  await eventually(async () => (await record(account))?.status === 'locked');
  expect(await record(account)).toMatchObject({ lock: { by: SIGN_IN_LOCK.by, reason: SIGN_IN_LOCK.reason } });
  const described = (await handle.describe()).typedSearchAttributes;
  expect([described.get(SA.phase), described.get(SA.failedSignIns)]).toEqual(['locked', MAX_FAILURES]);

  // Locked: every attempt is refused by the validator, the right password too, and nothing more is mailed.
  for (const attempt of [wrong, right]) expect((await refusal(handle.executeUpdate(signInUpdate, { args: [attempt] }))).type).toBe(FailureType.Conflict);
  expect(await stateOf(handle)).toMatchObject({ phase: 'locked', failedSignIns: MAX_FAILURES, locks: 1 });

  // Customer service unlocks (the existing path): the count starts again.
  await handle.executeUpdate(unlockAccountUpdate, { args: [{ by: 'cs-1' }] });
  expect((await nthMail(account.email, 3)).subject).toBe('Your XS-Key portal account is unlocked');
  expect(await handle.executeUpdate(signInUpdate, { args: [wrong] })).toMatchObject({ failures: 1, locked: false });
  expect(await handle.executeUpdate(signInUpdate, { args: [right] })).toMatchObject({ outcome: 'signed-in' });
  expect(await failedSignIns(handle)).toBe(0);
  expect(mailsTo(account.email)).toHaveLength(3);
  await recordHistory(handle, 'portal-account-sign-in-lockout');
});

test('a right password resets the count and records the sign-in; with terms still to accept nobody is signed in; only an active account signs in', async () => {
  const pending = await createAccount();
  const pendingHandle = await start(pending);
  await nthMail(pending.email, 1);
  expect((await refusal(pendingHandle.executeUpdate(signInUpdate, { args: [right] }))).type).toBe(FailureType.Conflict);

  const { account, handle } = await activeAccount();
  expect((await refusal(handle.executeUpdate(signInUpdate, { args: [{ passwordOk: 'yes' } as never] }))).type).toBe(FailureType.InvalidInput);
  for (let n = 1; n < MAX_FAILURES; n += 1) await handle.executeUpdate(signInUpdate, { args: [wrong] });

  // The right password with newer terms to accept: the count is reset, but no sign-in is recorded.
  expect(await handle.executeUpdate(signInUpdate, { args: [{ passwordOk: true, complete: false }] })).toEqual({ outcome: 'acceptance-required' });
  expect(await stateOf(handle)).toMatchObject({ failedSignIns: 0 });
  expect((await stateOf(handle)).lastSignInAt).toBeUndefined();

  const first = await handle.executeUpdate(signInUpdate, { args: [{ ...right, accepted: { terms: '2027-01' } }] });
  expect(first).toEqual({ outcome: 'signed-in', at: expect.any(String) });
  expect(await record(account)).toMatchObject({ lastSignInAt: new Date(first.outcome === 'signed-in' ? first.at : 0), acceptances: { terms: { version: '2027-01' } } });
  await h.env.sleep(HOUR);
  for (let n = 1; n < MAX_FAILURES; n += 1) await handle.executeUpdate(signInUpdate, { args: [wrong] });
  const second = await handle.executeUpdate(signInUpdate, { args: [right] });
  expect(second).toMatchObject({ outcome: 'signed-in', previousAt: first.outcome === 'signed-in' ? first.at : '' });
  expect(await stateOf(handle)).toMatchObject({ phase: 'active', failedSignIns: 0, locks: 0 });
  expect(mailsTo(account.email)).toHaveLength(1); // the activation mail only: no lock
});

test('after its events per run the workflow continues as new, carrying the state', async () => {
  const { account, handle } = await activeAccount(4);
  const firstRun = (await handle.describe()).runId;
  for (let i = 1; i <= 2; i += 1) {
    await handle.executeUpdate(lockAccountUpdate, { args: [{ reason: `Check ${i}`, by: 'cs-1' }] });
    await handle.executeUpdate(unlockAccountUpdate, { args: [{ by: 'cs-1' }] });
  }
  const state = await eventually(async () => ((await stateOf(handle)).runs === 2 ? stateOf(handle) : undefined));
  expect(state).toMatchObject({ phase: 'active', locks: 2, link: { purpose: 'activation', closed: { reason: 'used' } } });
  expect((await handle.describe()).runId).not.toBe(firstRun);

  // The new run goes on where the old one stopped: the next lock mail is number 3.
  await handle.executeUpdate(lockAccountUpdate, { args: [{ reason: 'Check 3', by: 'cs-1' }] });
  expect((await nthMail(account.email, 6)).subject).toMatch(/locked/);
  expect(mailsTo(account.email)).toHaveLength(6);
});

/** A customer with an approved contract and a registered contact, as the contract process leaves it. */
async function customer() {
  const customerNumber = `K${hex(4).toUpperCase()}`;
  const { companyId, contact } = await insertCompany(h.db.models, { name: 'Kiosk am Hafen GmbH', customerNumber, transportLicence: null });
  return { customerNumber, companyId, contact };
}

// ---- an Update that comes with the first workflow task ----------------------------------

/**
 * A run's first task can bring an Update: a retried Update lands on the run a continue-as-new started
 * (update-with-start shows the same here). Each of the account's Updates that such a run can take is
 * answered as in any other task, not refused as unhandled while the run loads its rules.
 */
const firstTaskUpdates: Array<[string, 'active' | 'locked', UpdateDefinition<unknown, [never]>, () => unknown, unknown]> = [
  ['a wrong password', 'active', signInUpdate as never, () => wrong, { outcome: 'wrong-password', failures: 1, locked: false }],
  ['a right password', 'active', signInUpdate as never, () => right, { outcome: 'signed-in', at: expect.any(String) }],
  ['a lock', 'active', lockAccountUpdate as never, () => ({ reason: 'Check', by: 'cs-1' }), { phase: 'locked', at: expect.any(String) }],
  ['an unlock', 'locked', unlockAccountUpdate as never, () => ({ by: 'cs-1' }), { phase: 'active', at: expect.any(String) }],
  ['a customer-number request', 'active', requestCustomerNumberUpdate as never, () => customer().then(({ customerNumber, companyId }) => ({ customerNumber, companyId })),
    { customerNumbers: [], at: expect.any(String), expiresAt: expect.any(String) }],
];

test.each(firstTaskUpdates)('%s sent with the first task of a continued run is answered', async (name, phase, update, args, expected) => {
  const account = await createAccount();
  const at = (await h.now()).toISOString();
  const carried: AccountCarried = {
    phase, resetsIssued: 0, resetRequested: false, runs: 1, activatedAt: at, locks: phase === 'locked' ? 1 : 0,
    ...(phase === 'locked' ? { lock: { reason: 'Check', by: 'cs-1', at } } : {}),
  };
  await h.db.models.PortalAccount.updateOne({ _id: account._id }, { $set: { status: phase } });
  const startWorkflowOperation = new WithStartWorkflowOperation<typeof portalAccount>('portalAccount', {
    taskQueue: h.taskQueue,
    workflowId: accountWorkflowId(account._id),
    workflowIdConflictPolicy: 'FAIL',
    args: [{ accountId: account._id, customerNumber: account.customerNumber, companyId: account.companyId, registeredAt: account.registeredAt.toISOString(), carried }],
  });
  expect(await h.client.workflow.executeUpdateWithStart(update, { args: [(await args()) as never], startWorkflowOperation })).toEqual(expected);
  const handle = await startWorkflowOperation.workflowHandle();
  // It came with the first task, and the run goes on (its main story was not held up by the handler).
  const events = (await handle.fetchHistory()).events ?? [];
  const accepted = events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
  const firstTaskDone = events.findIndex((e) => e.workflowTaskCompletedEventAttributes);
  expect({ accepted: accepted >= 0, inFirstTask: accepted === firstTaskDone + 1 }).toEqual({ accepted: true, inFirstTask: true });
  expect((await handle.describe()).status.name).toBe('RUNNING');
  await recordHistory(handle, `portal-account-first-task-${name.replace(/^an? /, '').replace(/\W+/g, '-')}`);
  await handle.terminate('test done');
});

// ---- the link activity on its own: retries never mail two different links ---------------

describe('issueAccountLink', () => {
  const issue = (input: IssueLinkInput, acts: Activities = h.activities): Promise<IssueLinkResult> =>
    new MockActivityEnvironment(
      { ...freshAttempt(), workflowExecution: { workflowId: accountWorkflowId(input.accountId), runId: 'r1' } },
      { logger: new DefaultLogger('ERROR') },
    ).run(acts.issueAccountLink, input);
  const input = (account: Account): IssueLinkInput => ({
    accountId: account._id,
    purpose: 'activation',
    issue: 1,
    issuedAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + LINK_VALIDITY).toISOString(),
  });

  test('run twice, it mails one link and returns the same hash', async () => {
    const account = await createAccount();
    const first = await issue(input(account));
    const second = await issue(input(account));
    expect(first.delivery).toBe('sent');
    expect(second).toEqual({ tokenHash: first.tokenHash, delivery: 'already-sent' });
    expect(mailsTo(account.email)).toHaveLength(1);
    expect(linkIn(mailsTo(account.email)[0]!).tokenHash).toBe(first.tokenHash);
  });

  test('SMTP unreachable: nothing went out, so the retry mints a fresh token and mails it once', async () => {
    const account = await createAccount();
    const down = createMailer({ smtpUrl: 'smtp://127.0.0.1:1', from: FROM });
    const downActs = createActivities({ models: h.db.models, mailer: down, rules: DEFAULT_RULES, backofficeLead: 'x@y.example', publicBaseUrl: BASE_URL });
    await expect(issue(input(account), downActs)).rejects.toThrow();
    down.close();
    expect((await record(account))?.link?.delivery).toBe('failed');

    const retried = await issue(input(account));
    expect(retried.delivery).toBe('sent');
    expect(mailsTo(account.email)).toHaveLength(1);
    expect(linkIn(mailsTo(account.email)[0]!).tokenHash).toBe(retried.tokenHash);
    expect((await record(account))?.link).toMatchObject({ tokenHash: retried.tokenHash, delivery: 'sent' });
  });

  // A relay that takes the message and answers only after the client's socket timeout: the send fails
  // uncertainly (the mail may or may not reach the user). The retry must mail the SAME link again.
  test.each([
    ['the first mail arrived', true],
    ['the first mail was lost', false],
  ])('an activation link whose send failed uncertainly is neither lost nor sent as a second live link (%s)', async (_case, firstArrived) => {
    const account = await createAccount();
    const slow = await startSmtpReceiver({ answerDelayMs: () => 1_500, deliversAfterHangUp: true });
    const timeouts = { connectionTimeout: 500, greetingTimeout: 500, socketTimeout: 500 };
    const slowMailer = createMailer({ smtpUrl: slow.url, from: FROM, timeouts });
    const slowActs = createActivities({ models: h.db.models, mailer: slowMailer, rules: DEFAULT_RULES, backofficeLead: 'x@y.example', publicBaseUrl: BASE_URL });
    try {
      await expect(issue(input(account), slowActs)).rejects.toThrow(/timeout/i);
      await slow.waitFor(1, 5_000); // the relay took it after the client gave up
    } finally {
      slowMailer.close();
      await slow.close();
    }
    expect((await record(account))?.link?.delivery).toBe('sending');

    const retried = await issue(input(account));
    expect(retried.delivery).toBe('sent');
    const inbox = [...(firstArrived ? slow.messages : []), ...mailsTo(account.email)];
    expect(inbox).toHaveLength(firstArrived ? 2 : 1);
    expect(new Set(inbox.map((m) => m.messageId)).size).toBe(1);
    expect(new Set(inbox.map((m) => linkIn(m).token)).size).toBe(1);
    // The one token in every mail is the live link: its hash is the one stored, and the token itself is not.
    const stored = (await record(account))?.link;
    expect(stored).toMatchObject({ tokenHash: linkIn(inbox[0]!).tokenHash, delivery: 'sent' });
    expect(JSON.stringify(stored)).not.toContain(linkIn(inbox[0]!).token);
  });

  test('a link minted before tokens were derived (no nonce) that died mid-send: the retry sends nothing and keeps the first hash', async () => {
    const account = await createAccount();
    const tokenHash = hashLinkToken(hex(32));
    await h.db.models.PortalAccount.updateOne(
      { _id: account._id },
      { $set: { link: { purpose: 'activation', issue: 1, tokenHash, expiresAt: new Date(), delivery: 'sending' } } },
    );
    expect(await issue(input(account))).toEqual({ tokenHash, delivery: 'uncertain' });
    expect(mailsTo(account.email)).toHaveLength(0);
  });
});

describe('changeAccountPassword', () => {
  const commit = (input: { accountId: string; passwordRef: string; at: string }, activityId = '7') =>
    new MockActivityEnvironment(
      { ...freshAttempt(), activityId, workflowExecution: { workflowId: accountWorkflowId(input.accountId), runId: 'r1' } },
      { logger: new DefaultLogger('ERROR') },
    ).run(h.activities.changeAccountPassword, input);

  test('a retry commits the same hash again; another commit of the same reference fails as a conflict', async () => {
    const account = await createAccount();
    const { passwordRef, hash } = await pendingPassword(account);
    const input = { accountId: account._id, passwordRef, at: new Date().toISOString() };
    await commit(input);
    expect((await record(account))?.passwordHash).toBe(hash);
    await commit(input); // the retry: nothing left to copy, nothing changes, no failure
    expect((await record(account))?.passwordHash).toBe(hash);

    await expect(commit(input, '8')).rejects.toMatchObject({ type: FailureType.Conflict });
    await expect(commit({ ...input, passwordRef: `pw_${randomBytes(16).toString('base64url')}` })).rejects.toMatchObject({ type: FailureType.NotFound });
  });

  test('an attempt that died after claiming the reference is finished by its retry', async () => {
    const account = await createAccount();
    const { passwordRef, hash } = await pendingPassword(account);
    const input = { accountId: account._id, passwordRef, at: new Date().toISOString() };
    await h.db.models.PendingPassword.updateOne({ _id: passwordRef }, { $set: { usedAt: new Date(input.at), usedBy: `${accountWorkflowId(account._id)}/7` } });
    await commit(input);
    expect((await record(account))?.passwordHash).toBe(hash);
    expect((await h.db.models.PendingPassword.findById(passwordRef).lean())?.hash).toBeUndefined();
  });
});

// ---- several customer numbers (docs/accounts-terminals.md) -----------------------------

describe('customer numbers', () => {
  const NUMBER_LINK_VALIDITY = DEFAULT_RULES.customerNumberLinkValidityHours * HOUR;

  test('a confirmation link unused for 24 hours lapses and adds nothing; a new one, used in time, adds the number once', async () => {
    const { account, handle } = await activeAccount();
    const c = await customer();
    const request = () => handle.executeUpdate(requestCustomerNumberUpdate, { args: [{ customerNumber: c.customerNumber, companyId: c.companyId }] });

    const first = await request();
    const { tokenHash } = linkIn(await nthMail(c.contact, 1));
    expect(Date.parse(first.expiresAt!) - (await h.env.currentTimeMs())).toBeLessThanOrEqual(NUMBER_LINK_VALIDITY);
    expect((await stateOf(handle)).numberLink).toMatchObject({ customerNumber: c.customerNumber, expiresAt: first.expiresAt });
    expect((await stateOf(handle)).numberLink).not.toHaveProperty('tokenHash');

    await h.env.sleep(NUMBER_LINK_VALIDITY + 60_000);
    expect((await stateOf(handle)).numberLink).toMatchObject({ closed: { reason: 'expired' } });
    const expired = await refusal(handle.executeUpdate(confirmCustomerNumberUpdate, { args: [{ tokenHash }] }));
    expect([expired.type, expired.message]).toEqual([FailureType.Gone, expect.stringMatching(/expired/)]);
    expect(await record(account)).toMatchObject({ numberLink: { lapsedAt: expect.any(Date) } });
    expect((await record(account))?.customerNumbers ?? []).toEqual([]);

    // A new request: a new link (issue 2), used in time, adds the number; used again it is refused.
    await request();
    const second = linkIn(await nthMail(c.contact, 2));
    await h.env.sleep(NUMBER_LINK_VALIDITY - 60_000);
    const added = await handle.executeUpdate(confirmCustomerNumberUpdate, { args: [{ tokenHash: second.tokenHash }] });
    expect(added.customerNumbers).toEqual([{ customerNumber: c.customerNumber, companyId: c.companyId, addedAt: added.at, proof: 'link' }]);
    expect((await refusal(handle.executeUpdate(confirmCustomerNumberUpdate, { args: [{ tokenHash: second.tokenHash }] }))).type).toBe(FailureType.Gone);
    expect((await record(account))?.customerNumbers).toEqual([expect.objectContaining({ customerNumber: c.customerNumber, proof: 'link' })]);

    // Added by terminal and removed; the registered number stays; a locked account changes nothing.
    const d = await customer();
    await handle.executeUpdate(addCustomerNumberUpdate, { args: [{ customerNumber: d.customerNumber, companyId: d.companyId, terminalId: 'T1' }] });
    const again = await refusal(handle.executeUpdate(addCustomerNumberUpdate, { args: [{ customerNumber: d.customerNumber, companyId: d.companyId, terminalId: 'T1' }] }));
    expect(again.type).toBe(FailureType.Conflict);
    const removed = await handle.executeUpdate(removeCustomerNumberUpdate, { args: [{ customerNumber: d.customerNumber }] });
    expect(removed.customerNumbers.map((n) => n.customerNumber)).toEqual([c.customerNumber]);
    expect((await refusal(handle.executeUpdate(removeCustomerNumberUpdate, { args: [{ customerNumber: account.customerNumber }] }))).type).toBe(FailureType.Conflict);
    await handle.executeUpdate(lockAccountUpdate, { args: [{ reason: 'test', by: 'cs-1' }] });
    expect((await refusal(handle.executeUpdate(removeCustomerNumberUpdate, { args: [{ customerNumber: c.customerNumber }] }))).type).toBe(FailureType.Conflict);
    await recordHistory(handle, 'portal-account-customer-numbers');
  });
});
