/**
 * Several customer numbers on one portal account (docs/accounts-terminals.md),
 * as a part of the `portalAccount` workflow: its Updates, and the confirmation
 * link whose lapse the account's main loop waits for.
 *
 * - `addCustomerNumber`: proven by a Terminal-ID the API matched against an
 *   active terminal of that number: added at once.
 * - `requestCustomerNumber`: a confirmation link (single use, valid
 *   `customerNumberLinkValidityHours`) goes to that customer's registered
 *   contact; `confirmCustomerNumber` with its token adds the number. One link
 *   is open at a time: a new request revokes the previous one. Unused, it
 *   lapses (`lapse`, called by the main loop's timer) and nothing is added.
 * - `removeCustomerNumber`: any added number; the registered one stays, so an
 *   account never has none.
 *
 * Only active accounts change their numbers. Everything here is new to the
 * histories, so the first such Update marks the history with
 * CUSTOMER_NUMBERS_PATCH; histories without it never reach this code.
 */
import { condition, patched, setHandler } from '@temporalio/workflow';
import { DEFAULT_RULES, type BusinessRules } from '../domain/rules';
import {
  addCustomerNumberUpdate,
  confirmCustomerNumberUpdate,
  conflict,
  CUSTOMER_NUMBERS_PATCH,
  invalidInput,
  linkGone,
  notFound,
  removeCustomerNumberUpdate,
  requestCustomerNumberUpdate,
  type AccountCarried,
  type AddedCustomerNumber,
  type CustomerNumberLink,
  type CustomerNumbersResult,
} from './definitions';
import { acts, now } from './support';

const HOUR_MS = 3_600_000;

export interface NumbersContext {
  accountId: string;
  /** The customer number the account registered with. */
  registered: string;
  account: AccountCarried;
  /** The run's rules once loaded; until then handlers wait for `loaded`. */
  rules: () => BusinessRules | undefined;
  loaded: Promise<BusinessRules>;
  serial: <T>(step: () => Promise<T>) => Promise<T>;
  changed: (countsAsEvent: boolean) => void;
}

export function customerNumbers(ctx: NumbersContext) {
  const { accountId, account } = ctx;
  /** Set while a confirmation link is minted and mailed: its hash is unknown here until then. */
  let issuing = false;
  const list = (): AddedCustomerNumber[] => (account.customerNumbers ??= []);
  const openLink = (): CustomerNumberLink | undefined => (account.numberLink && !account.numberLink.closed ? account.numberLink : undefined);

  function requireActive(customerNumber: unknown): asserts customerNumber is string {
    if (typeof customerNumber !== 'string' || customerNumber.trim() === '') throw invalidInput('customerNumber is required', { field: 'customerNumber' });
    if (account.phase !== 'active') throw conflict(`Only an active account can change its customer numbers; this one is ${account.phase}`, { phase: account.phase });
  }
  function requireNew(customerNumber: unknown): void {
    requireActive(customerNumber);
    if (customerNumber === ctx.registered || list().some((n) => n.customerNumber === customerNumber)) {
      throw conflict(`Customer number ${customerNumber} is on the account already`, { field: 'customerNumber' });
    }
  }
  function checkLink(tokenHash: unknown): void {
    if (typeof tokenHash !== 'string' || !/^[0-9a-f]{64}$/.test(tokenHash)) throw invalidInput('tokenHash must be a SHA-256 hex digest', { field: 'token' });
    if (issuing) return; // the handler checks once the link is known
    const link = account.numberLink;
    if (!link || link.tokenHash !== tokenHash) throw invalidInput('This is not a valid confirmation link (a newer one may have replaced it)', { field: 'token' });
    if (link.closed?.reason === 'used') throw linkGone('This confirmation link was already used', 'used');
    if (link.closed?.reason === 'revoked') throw linkGone('This confirmation link was replaced by a newer request', 'revoked');
    if (link.closed || Date.now() >= Date.parse(link.expiresAt)) throw linkGone(`This confirmation link expired at ${link.expiresAt}`, 'expired');
    if (account.phase !== 'active') throw conflict(`Only an active account can change its customer numbers; this one is ${account.phase}`, { phase: account.phase });
    if (list().some((n) => n.customerNumber === link.customerNumber)) throw conflict(`Customer number ${link.customerNumber} is on the account already`);
  }

  /** Records the whole list (idempotent), then answers with it. */
  async function commit(event: string, customerNumber: string, at: string): Promise<CustomerNumbersResult> {
    ctx.changed(true);
    const customerNumbers = [...list()];
    await ctx.serial(() => acts.recordCustomerNumbers({ accountId, customerNumbers, customerNumber, event, at }));
    return { customerNumbers, at };
  }

  setHandler(
    addCustomerNumberUpdate,
    async ({ customerNumber, companyId }) => {
      patched(CUSTOMER_NUMBERS_PATCH);
      const at = now();
      list().push({ customerNumber, companyId, addedAt: at, proof: 'terminal' });
      return commit('account-customer-number-added', customerNumber, at);
    },
    { validator: ({ customerNumber }) => requireNew(customerNumber) },
  );

  setHandler(
    requestCustomerNumberUpdate,
    async ({ customerNumber, companyId }) => {
      const rules = ctx.rules() ?? (await ctx.loaded); // no extra yield once loaded (existing histories replay unchanged)
      patched(CUSTOMER_NUMBERS_PATCH);
      const at = now();
      if (openLink()) account.numberLink!.closed = { reason: 'revoked', at };
      const issue = (account.numberLinksIssued = (account.numberLinksIssued ?? 0) + 1);
      const hours = rules.customerNumberLinkValidityHours ?? DEFAULT_RULES.customerNumberLinkValidityHours; // rules loaded before it existed
      const expiresAt = new Date(Date.now() + hours * HOUR_MS).toISOString();
      issuing = true;
      try {
        const { tokenHash } = await ctx.serial(() =>
          acts.issueAccountLink({ accountId, purpose: 'customer-number', issue, issuedAt: at, expiresAt, customerNumber, companyId }),
        );
        account.numberLink = { customerNumber, companyId, issue, tokenHash, expiresAt };
      } finally {
        issuing = false;
      }
      ctx.changed(true);
      return { customerNumbers: [...list()], at, expiresAt };
    },
    { validator: ({ customerNumber }) => requireNew(customerNumber) },
  );

  setHandler(
    confirmCustomerNumberUpdate,
    async ({ tokenHash }) => {
      if (issuing) await condition(() => !issuing);
      checkLink(tokenHash);
      const link = account.numberLink!;
      const at = now();
      link.closed = { reason: 'used', at };
      list().push({ customerNumber: link.customerNumber, companyId: link.companyId, addedAt: at, proof: 'link' });
      return commit('account-customer-number-confirmed', link.customerNumber, at);
    },
    { validator: ({ tokenHash }) => checkLink(tokenHash) },
  );

  setHandler(
    removeCustomerNumberUpdate,
    async ({ customerNumber }) => {
      patched(CUSTOMER_NUMBERS_PATCH);
      account.customerNumbers = list().filter((n) => n.customerNumber !== customerNumber);
      return commit('account-customer-number-removed', customerNumber, now());
    },
    {
      validator: ({ customerNumber }) => {
        requireActive(customerNumber);
        if (customerNumber === ctx.registered) {
          throw conflict('The customer number the account registered with stays on it (so it never has none); remove the others', { field: 'customerNumber' });
        }
        if (!list().some((n) => n.customerNumber === customerNumber)) throw notFound(`Customer number ${customerNumber} is not on the account`);
      },
    },
  );

  return {
    /** When the open confirmation link lapses, for the main loop's timer. */
    due(): { at: number; summary: string } | undefined {
      const link = openLink();
      return link ? { at: Date.parse(link.expiresAt), summary: 'customer-number confirmation link expires' } : undefined;
    },
    /** The timer fired: an unused confirmation link lapses and nothing is added. */
    async lapse(): Promise<void> {
      const link = openLink();
      if (!link || Date.now() < Date.parse(link.expiresAt)) return;
      const at = now();
      link.closed = { reason: 'expired', at };
      ctx.changed(false);
      await ctx.serial(() => acts.lapseCustomerNumberLink({ accountId, customerNumber: link.customerNumber, issue: link.issue, at }));
    },
  };
}
