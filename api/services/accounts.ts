/**
 * Portal accounts: the record (with the password's scrypt hash, made here and
 * never logged, never sent to a workflow as plain text) and the
 * `portalAccount` workflow that owns the links, their expiry, resets and locks.
 *
 * Link tokens arrive here only to be hashed: the record is found by the hash,
 * and the workflow decides (used, expired, revoked -> 410; not the current
 * link -> 400).
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { hashLinkToken } from '../../activities/accounts';
import { isDuplicateKey, type PortalAccountDoc } from '../../db/models';
import { checkPassword } from '../../domain/password-policy';
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
import type { RegisterAccountBody } from '../schemas/accounts';
import type { ServiceDeps } from './deps';
import { newId } from './companies';

// ---- passwords: scrypt with a random salt; the parameters travel with the hash ----------

const SCRYPT = { N: 2 ** 15, r: 8, p: 1, keyLength: 64, maxmem: 64 * 1024 * 1024 };

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key))));
}

/** `scrypt$N$r$p$salt$key`, salt and key base64url. */
export async function hashPassword(password: string): Promise<string> {
  const { N, r, p, keyLength, maxmem } = SCRYPT;
  const salt = randomBytes(16);
  const key = await scryptAsync(password.normalize('NFC'), salt, keyLength, { N, r, p, maxmem });
  return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, N, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const options = { N: Number(N), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem };
  const actual = await scryptAsync(password.normalize('NFC'), Buffer.from(salt, 'base64url'), expected.length, options);
  return timingSafeEqual(actual, expected);
}

function policyErrors(password: string): FieldError[] {
  return checkPassword(password).violations.map((v) => ({ field: 'password', message: v.message, code: v.code }));
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
    registeredAt: a.registeredAt.toISOString(),
    ...(a.activatedAt ? { activatedAt: a.activatedAt.toISOString() } : {}),
    ...(a.lapsedAt ? { lapsedAt: a.lapsedAt.toISOString() } : {}),
    ...(a.passwordChangedAt ? { passwordChangedAt: a.passwordChangedAt.toISOString() } : {}),
    ...(a.lock?.at ? { lock: { reason: a.lock.reason ?? '', by: a.lock.by ?? '', at: a.lock.at.toISOString() } } : {}),
    ...(a.link ? { link: { purpose: a.link.purpose, expiresAt: a.link.expiresAt.toISOString(), used: Boolean(a.link.usedAt) } } : {}),
    workflowId: accountWorkflowId(a._id),
  };
}

const unknownLink = () =>
  badRequest('this link is not valid; a newer link may have replaced it', [{ field: 'token', message: 'unknown link' }]);

export function createAccountService(deps: ServiceDeps) {
  const { PortalAccount, Company } = deps.models;
  const now = deps.now ?? (() => new Date());
  const handle = (accountId: string): WorkflowHandle<typeof portalAccount> => deps.temporal.workflow.getHandle(accountWorkflowId(accountId));

  async function update<A>(accountId: string, def: UpdateDefinition<AccountUpdateResult, [A]>, arg: A) {
    try {
      const result = await handle(accountId).executeUpdate(def, { args: [arg] });
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

  return {
    checkPassword: (password: string) => checkPassword(password),

    async register(body: RegisterAccountBody) {
      const errors = policyErrors(body.password);
      const company = await Company.findOne({ customerNumber: body.customerNumber }, { contract: 1, contact: 1 }).lean();
      if (company?.contract?.status !== 'approved') {
        errors.push({ field: 'customerNumber', message: 'is not the customer number of a company with an approved contract' });
      }
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
          name: body.name,
          customerNumber: body.customerNumber,
          companyId: company._id,
          passwordHash: await hashPassword(body.password),
          status: 'pending-activation',
          registeredAt,
        });
      } catch (err) {
        if (isDuplicateKey(err)) throw conflict('an account with this email is already pending activation or active');
        throw err;
      }
      try {
        await deps.temporal.workflow.start<typeof portalAccount>('portalAccount', {
          taskQueue: deps.taskQueue,
          workflowId: accountWorkflowId(accountId),
          args: [{ accountId, customerNumber: body.customerNumber, companyId: company._id, registeredAt: registeredAt.toISOString() }],
          typedSearchAttributes: [
            { key: SA.customerNumber, value: body.customerNumber },
            { key: SA.companyId, value: company._id },
            { key: SA.phase, value: 'pending-activation' },
          ],
          staticSummary: `Portal account ${accountId} (customer ${body.customerNumber})`,
          staticDetails:
            `Portal account \`${accountId}\` of customer number ${body.customerNumber}, registered ` +
            `${deps.calendar.toLocalIso(registeredAt)}. Activation link valid ${deps.calendar.rules.accountLinkValidityHours} hours; ` +
            'then the account serves password resets (`requestReset`, `resetPassword`) and locks (`lock`, `unlock`).',
        });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
          // Without its workflow the record would block the email for good: remove it.
          await PortalAccount.deleteOne({ _id: accountId });
          throw err;
        }
      }
      return accountView(created.toObject() as Account);
    },

    async get(accountId: string) {
      const account = await PortalAccount.findById(accountId, { passwordHash: 0 }).lean();
      if (!account) throw notFound(`portal account ${accountId} not found`);
      return accountView(account as Account);
    },

    async activate(token: string) {
      const { accountId, tokenHash } = await byToken(token, 'activation');
      return { accountId, ...(await update(accountId, activateAccountUpdate, { tokenHash })) };
    },

    /** Always the same answer, whether or not the account exists (the route says 202). */
    async requestReset(body: { customerNumber: string; email: string }): Promise<void> {
      const account = await PortalAccount.findOne({ emailKey: body.email.toLowerCase(), customerNumber: body.customerNumber }, { status: 1 }).lean();
      if (account?.status !== 'active') return;
      try {
        await handle(account._id as string).signal(requestResetSignal);
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    },

    async confirmReset(body: { token: string; password: string }) {
      const errors = policyErrors(body.password);
      if (errors.length) throw unprocessable('the new password breaks the password policy', errors);
      const { accountId, tokenHash } = await byToken(body.token, 'reset');
      const passwordHash = await hashPassword(body.password);
      return { accountId, ...(await update(accountId, resetPasswordUpdate, { tokenHash, passwordHash })) };
    },

    async lock(accountId: string, body: LockInput) {
      await existing(accountId);
      return update(accountId, lockAccountUpdate, body);
    },

    async unlock(accountId: string, body: UnlockInput) {
      await existing(accountId);
      return update(accountId, unlockAccountUpdate, body);
    },
  };
}
