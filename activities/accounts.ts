/**
 * Records and mail of the portal accounts (PROCESSES.md section 6).
 *
 * `issueAccountLink` is the one activity that both writes and mails, on
 * purpose: the plain token may exist only in this activity and in the email,
 * never in workflow history or the database. It stores the token's SHA-256 on
 * the account with a delivery state, and a retry never mints a second link for
 * the same (account, purpose, issue):
 * - `sent`: the mail went out; the retry returns the stored hash, sends nothing.
 * - `sending`: an attempt died between minting and confirming the SMTP call
 *   (crash, timeout, a relay that went quiet after taking the message). The
 *   mail may have gone out. The token is HMAC-SHA256(ACCOUNT_LINK_SECRET,
 *   account|purpose|issue|nonce) with the nonce stored on the link, so the
 *   retry re-derives the SAME token and mails the same message again (same
 *   Message-ID): nothing is lost when the first mail did not arrive, and if both
 *   arrive they carry the one live link. It stays `sending` until a send is
 *   confirmed, whatever the retry's failure: a fresh token would make the
 *   first mail's link dead under the same Message-ID. Links minted before
 *   the nonce existed cannot be re-derived: their retry sends nothing.
 * - `failed`: the SMTP server refused or was unreachable, or the attempt had
 *   too little time left to send, so nothing went out (email/mailer.ts
 *   `certainlyNotSent`): the retry mints a fresh token and sends it. A send that
 *   failed uncertainly (a timeout, a dropped connection) stays `sending`.
 * Minting is a compare-and-set on the account, so two overlapping attempts
 * cannot both mint.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { Context, log } from '@temporalio/activity';
import { DateTime } from 'luxon';
import type { PortalAccountDoc } from '../db/models';
import { certainlyNotSent } from '../email/mailer';
import { renderEmail, type Language } from '../email/templates';
import { conflict, notFound, type AcceptedVersions, type AccountLinkPurpose, type AddedCustomerNumber } from '../workflows/definitions';
import { LOCAL_LINK_SECRET } from '../config/link-secret';
import { recordAudit } from './audit';
import { createEmailActivities, messageIdFor, outboxKey, sendInAttempt } from './email';
import type { ActivityDeps } from '.';

/** How the API and the activity turn a token into what is stored: SHA-256, hex. */
export const hashLinkToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** The token of a link: derived, so a retry can mail the same one again; only its hash and the nonce are stored. */
export const deriveLinkToken = (secret: Buffer, link: { accountId: string; purpose: AccountLinkPurpose; issue: number; nonce: string }): string =>
  createHmac('sha256', secret).update(`${link.accountId}|${link.purpose}|${link.issue}|${link.nonce}`, 'utf8').digest('base64url');

/** Where each link points (a page that posts the token to the API); `?token=` is appended. */
export const LINK_PATHS: Record<AccountLinkPurpose, string> = {
  activation: '/v1/accounts/activation',
  reset: '/v1/accounts/password-reset/confirm',
  'customer-number': '/v1/accounts/customer-numbers/confirmation',
};

const TEMPLATE = { activation: 'account-activation', reset: 'account-password-reset', 'customer-number': 'account-customer-number' } as const;

/** Where a link lives on the account record: a customer-number confirmation has its own slot, beside activation and reset. */
const slotOf = (purpose: AccountLinkPurpose): 'link' | 'numberLink' => (purpose === 'customer-number' ? 'numberLink' : 'link');

export interface IssueLinkInput {
  accountId: string;
  purpose: AccountLinkPurpose;
  issue: number;
  issuedAt: string;
  expiresAt: string;
  /** For a customer-number confirmation: the number, whose company's registered contact gets the link. */
  customerNumber?: string;
  companyId?: string;
}

export interface IssueLinkResult {
  tokenHash: string;
  delivery: 'sent' | 'already-sent' | 'uncertain';
}

type Account = PortalAccountDoc & { _id: string };

type Deps = Omit<ActivityDeps, 'temporal'>;

/** The local stack's customer-service contact; production sets CUSTOMER_SERVICE_CONTACT. */
export const DEFAULT_SERVICE_CONTACT = '+31 10 000 00 00, service@xs-key.example';

export function createAccountActivities(deps: Deps) {
  const { PortalAccount, PendingPassword, EmailOutbox, Company } = deps.models;
  const { sendEmail } = createEmailActivities(deps);
  const linkSecret = deps.linkSecret ?? LOCAL_LINK_SECRET;
  const workflowId = (): string => {
    const { info } = Context.current();
    return info.workflowExecution?.workflowId ?? info.activityId;
  };
  const audit = (event: string, accountId: string, actor: string, at: string, data?: Record<string, unknown>) =>
    recordAudit(deps.models, Context.current().info, { event, subject: accountId, actor, at, data });

  async function account(accountId: string): Promise<Account> {
    const found = await PortalAccount.findById(accountId).lean();
    if (!found) throw notFound(`portal account ${accountId} not found`);
    return found as Account;
  }

  async function update(accountId: string, set: Record<string, unknown>, unset?: Record<string, 1>): Promise<void> {
    const res = await PortalAccount.updateOne({ _id: accountId }, { $set: set, ...(unset ? { $unset: unset } : {}) });
    if (res.matchedCount === 0) throw notFound(`portal account ${accountId} not found`);
  }

  /**
   * The link this attempt's (purpose, issue) already minted, unless its mail certainly did not go out:
   * done if it was sent, else its token to mail again when it can be re-derived.
   */
  async function earlierLink(a: Account, input: IssueLinkInput, key: string): Promise<IssueLinkResult | { resend: string; tokenHash: string } | undefined> {
    const link = a[slotOf(input.purpose)];
    if (!link || link.purpose !== input.purpose || link.issue !== input.issue || link.delivery === 'failed') return undefined;
    if (link.delivery === 'sent' || (await EmailOutbox.findById(key, { status: 1 }).lean())?.status === 'sent') {
      return { tokenHash: link.tokenHash, delivery: 'already-sent' };
    }
    const token = link.nonce ? deriveLinkToken(linkSecret, { accountId: input.accountId, purpose: input.purpose, issue: input.issue, nonce: link.nonce }) : undefined;
    if (token && hashLinkToken(token) === link.tokenHash) {
      log.warn('an earlier attempt may have mailed this link; mailing the same link again', { key });
      return { resend: token, tokenHash: link.tokenHash };
    }
    // Minted before links were derived, or under a rotated secret: a new token would kill the first mail's link.
    log.warn('an earlier attempt may have mailed this link, which cannot be derived again; not minting a second one', { key });
    return { tokenHash: link.tokenHash, delivery: 'uncertain' };
  }

  /** A new single-use token; its hash goes on the account (delivery `sending`) unless another attempt holds the slot. */
  async function mintLink(input: IssueLinkInput, key: string): Promise<{ resend: string; tokenHash: string }> {
    const nonce = randomBytes(32).toString('base64url');
    const token = deriveLinkToken(linkSecret, { accountId: input.accountId, purpose: input.purpose, issue: input.issue, nonce });
    const tokenHash = hashLinkToken(token);
    const link = { purpose: input.purpose, issue: input.issue, tokenHash, nonce, expiresAt: new Date(input.expiresAt), delivery: 'sending', customerNumber: input.customerNumber };
    const slot = slotOf(input.purpose);
    const minted = await PortalAccount.updateOne(
      {
        _id: input.accountId,
        $or: [{ [slot]: { $exists: false } }, { [`${slot}.purpose`]: { $ne: input.purpose } }, { [`${slot}.issue`]: { $ne: input.issue } }, { [`${slot}.delivery`]: 'failed' }],
      },
      { $set: { [slot]: link } },
    );
    if (minted.matchedCount === 0) throw new Error(`another attempt is minting link ${key}; retrying`);
    return { resend: token, tokenHash };
  }

  /** Who gets a link: the account holder, or for a customer-number confirmation that customer's registered contact. */
  async function recipient(a: Account, input: IssueLinkInput): Promise<{ email: string; name: string; language: Language }> {
    if (input.purpose !== 'customer-number') return { email: a.email, name: a.name, language: a.language as Language };
    const company = await Company.findOne({ _id: input.companyId, customerNumber: input.customerNumber }, { contact: 1 }).lean();
    if (!company?.contact) throw notFound(`no customer with number ${input.customerNumber} and a registered contact`);
    return { email: company.contact.email, name: company.contact.name, language: (company.contact.language ?? 'en') as Language };
  }

  return {
    /** Mints a single-use token, stores its hash on the account and mails the link, once per (account, purpose, issue). */
    async issueAccountLink(input: IssueLinkInput): Promise<IssueLinkResult> {
      const key = outboxKey({ workflowId: workflowId(), purpose: `account-${input.purpose}`, period: String(input.issue) });
      const a = await account(input.accountId);
      const earlier = await earlierLink(a, input, key);
      if (earlier && !('resend' in earlier)) return earlier;

      const { resend: token, tokenHash } = earlier ?? (await mintLink(input, key));
      const to = await recipient(a, input);
      const language = to.language;
      const message = renderEmail(TEMPLATE[input.purpose], language, {
        name: to.name,
        customerNumber: input.customerNumber ?? a.customerNumber,
        accountName: a.name,
        accountEmail: a.email,
        link: `${deps.publicBaseUrl.replace(/\/+$/, '')}${LINK_PATHS[input.purpose]}?token=${token}`,
        validUntil: DateTime.fromISO(input.expiresAt, { zone: deps.rules.timeZone }).toFormat('yyyy-MM-dd HH:mm'),
      });
      const messageId = messageIdFor(key, deps.mailer.from);
      await EmailOutbox.updateOne(
        { _id: key },
        {
          $setOnInsert: { messageId, to: to.email, template: TEMPLATE[input.purpose], language, subject: message.subject, status: 'pending' },
          $inc: { attempts: 1 },
        },
        { upsert: true },
      );
      try {
        await sendInAttempt(deps.mailer, {
          messageId,
          from: deps.mailer.from,
          to: to.email,
          subject: message.subject,
          text: message.text,
          html: message.html,
          headers: { 'X-XS-Outbox-Key': key },
        });
      } catch (err) {
        // Certainly not sent, and no earlier mail: the next attempt may mint a fresh token. Otherwise
        // `sending` stays and the next attempt mails this same link again.
        if (!earlier && certainlyNotSent(err)) {
          await PortalAccount.updateOne({ _id: input.accountId, [`${slotOf(input.purpose)}.tokenHash`]: tokenHash }, { $set: { [`${slotOf(input.purpose)}.delivery`]: 'failed' } });
        }
        throw err;
      }
      await EmailOutbox.updateOne({ _id: key }, { $set: { status: 'sent', sentAt: new Date() } });
      await PortalAccount.updateOne({ _id: input.accountId, [`${slotOf(input.purpose)}.tokenHash`]: tokenHash }, { $set: { [`${slotOf(input.purpose)}.delivery`]: 'sent' } });
      await audit(`account-${input.purpose}-link-${input.issue}`, input.accountId, 'system', input.issuedAt, { expiresAt: input.expiresAt });
      return { tokenHash, delivery: 'sent' };
    },

    async activateAccount(input: { accountId: string; at: string }): Promise<void> {
      await update(input.accountId, { status: 'active', activatedAt: new Date(input.at), 'link.usedAt': new Date(input.at) });
      await audit('account-activated', input.accountId, 'account-holder', input.at);
    },

    /**
     * Puts the new password in place by the reference the API stored it under
     * (`pending_passwords`); the hash never passes through here. Idempotent: the
     * reference is claimed for this activity, so its retries commit the same
     * hash again, while any other use of the reference fails (Conflict), as
     * does an unknown one (NotFound). `passwordHash` only comes from histories
     * recorded before the hash left them.
     */
    async changeAccountPassword(input: { accountId: string; passwordRef?: string; passwordHash?: string; at: string }): Promise<void> {
      const at = new Date(input.at);
      let passwordHash = input.passwordHash;
      if (passwordHash === undefined) {
        const ref = input.passwordRef ?? '';
        const { info } = Context.current();
        const usedBy = `${workflowId()}/${info.activityId}`;
        await PendingPassword.updateOne({ _id: ref, accountId: input.accountId, usedAt: { $exists: false } }, { $set: { usedAt: at, usedBy } });
        const pending = await PendingPassword.findOne({ _id: ref, accountId: input.accountId }).lean();
        if (!pending) throw notFound(`no new password is stored under reference ${ref} for this account`);
        if (pending.usedBy !== usedBy) throw conflict(`the new password under reference ${ref} was already used`, { field: 'password' });
        if (!pending.hash) return; // an earlier attempt of this activity committed it and dropped the copy
        passwordHash = pending.hash;
      }
      await update(input.accountId, { passwordHash, passwordChangedAt: at, 'link.usedAt': at });
      await audit('account-password-reset', input.accountId, 'account-holder', input.at);
      // Last: once the copy is gone, a retry knows everything above was done.
      if (input.passwordRef) await PendingPassword.updateOne({ _id: input.passwordRef }, { $unset: { hash: 1 } });
    },

    /** The activation link expired unused: the registration lapses and its email is free again. */
    async lapseAccount(input: { accountId: string; at: string }): Promise<void> {
      await update(input.accountId, { status: 'lapsed', emailKey: `lapsed:${input.accountId}`, lapsedAt: new Date(input.at) });
      await audit('account-lapsed', input.accountId, 'system', input.at);
    },

    async recordAccountLock(input: { accountId: string; locked: boolean; reason?: string; by: string; at: string }): Promise<void> {
      if (input.locked) {
        await update(input.accountId, { status: 'locked', lock: { reason: input.reason, by: input.by, at: new Date(input.at) } });
      } else {
        await update(input.accountId, { status: 'active' }, { lock: 1 });
      }
      await audit(input.locked ? 'account-locked' : 'account-unlocked', input.accountId, input.by, input.at, input.reason ? { reason: input.reason } : undefined);
    },

    /** Mails the account holder (address and language from the record, so they stay out of history). */
    async notifyAccountHolder(input: {
      accountId: string;
      template: 'account-locked' | 'account-unlocked' | 'account-locked-sign-in';
      period: string;
      data: Record<string, string>;
    }): Promise<void> {
      const a = await account(input.accountId);
      await sendEmail({
        key: { workflowId: workflowId(), purpose: input.template, period: input.period },
        to: { kind: 'address', email: a.email, language: a.language as Language },
        template: input.template,
        data: { name: a.name, serviceContact: deps.customerServiceContact ?? DEFAULT_SERVICE_CONTACT, ...input.data },
      });
    },

    /** A successful sign-in: when, and the versions of the terms accepted with it (idempotent: plain sets). */
    async recordSignIn(input: { accountId: string; at: string; accepted?: AcceptedVersions }): Promise<void> {
      const at = new Date(input.at);
      const accepted = Object.fromEntries(Object.entries(input.accepted ?? {}).map(([doc, version]) => [`acceptances.${doc}`, { version, at }]));
      await update(input.accountId, { lastSignInAt: at, ...accepted });
      if (input.accepted) await audit('account-terms-accepted', input.accountId, 'account-holder', input.at, { ...input.accepted });
    },

    /** Writes the account's added customer numbers as the workflow holds them (idempotent: the whole list). */
    async recordCustomerNumbers(input: { accountId: string; customerNumbers: AddedCustomerNumber[]; customerNumber: string; event: string; at: string }): Promise<void> {
      const list = input.customerNumbers.map((n) => ({ ...n, addedAt: new Date(n.addedAt) }));
      const used = input.event === 'account-customer-number-confirmed' ? { 'numberLink.usedAt': new Date(input.at) } : {};
      await update(input.accountId, { customerNumbers: list, ...used });
      await audit(input.event, input.accountId, 'account-holder', input.at, { customerNumber: input.customerNumber });
    },

    /** A customer-number confirmation link lapsed unused: nothing was added. */
    async lapseCustomerNumberLink(input: { accountId: string; customerNumber: string; issue: number; at: string }): Promise<void> {
      await PortalAccount.updateOne({ _id: input.accountId, 'numberLink.issue': input.issue }, { $set: { 'numberLink.lapsedAt': new Date(input.at) } });
      await audit(`account-customer-number-link-${input.issue}-lapsed`, input.accountId, 'system', input.at, { customerNumber: input.customerNumber });
    },
  };
}
