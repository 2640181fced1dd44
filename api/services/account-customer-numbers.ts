/**
 * Several customer numbers on one portal account (docs/accounts-terminals.md):
 * add one proven by a Terminal-ID (at once) or by a confirmation link mailed to
 * that customer's registered contact, confirm with the link's token, remove
 * one (never the registered one), and the overview with the terminals' master
 * data. The account's workflow decides and keeps the list
 * (workflows/portal-account-numbers.ts); the record mirrors it.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { hashLinkToken } from '../../activities/accounts';
import type { Logger } from '../../observability/logger';
import type { portalAccount } from '../../workflows/portal-account';
import {
  addCustomerNumberUpdate,
  confirmCustomerNumberUpdate,
  removeCustomerNumberUpdate,
  requestCustomerNumberUpdate,
  type CustomerNumbersResult,
} from '../../workflows/definitions';
import { badRequest, conflict, fromTemporal, notFound, unprocessable } from '../errors';
import type { ServiceDeps } from './deps';
import { activeTerminal, TERMINAL_MISMATCH, terminalsOf } from './terminals';
import type { CustomerNumberProof } from '../../domain/vocabulary';
import { executeUpdate } from './updates';

export function createCustomerNumberService(
  deps: ServiceDeps,
  ctx: { handle: (accountId: string) => WorkflowHandle<typeof portalAccount>; logger: Logger },
) {
  const { PortalAccount, Company } = deps.models;
  const now = deps.now ?? (() => new Date());

  async function update<A>(accountId: string, def: UpdateDefinition<CustomerNumbersResult, [A]>, arg: A): Promise<CustomerNumbersResult> {
    try {
      return await executeUpdate(ctx.handle(accountId), def, [arg]); // an update ID from the Idempotency-Key, and a 202 past the deadline
    } catch (err) {
      throw fromTemporal(err);
    }
  }

  /** The account, refused unless it is active; its numbers, the registered one first. */
  async function activeAccount(accountId: string) {
    const a = await PortalAccount.findById(accountId, { status: 1, customerNumber: 1, customerNumbers: 1 }).lean();
    if (!a) throw notFound(`portal account ${accountId} not found`);
    if (a.status !== 'active') throw conflict(`only an active account can change its customer numbers; this one is ${a.status}`, { accountStatus: a.status });
    return { numbers: [a.customerNumber, ...(a.customerNumbers ?? []).map((n) => n.customerNumber)] };
  }

  async function overview(accountId: string) {
    const a = await PortalAccount.findById(accountId, { customerNumber: 1, customerNumbers: 1, numberLink: 1 }).lean();
    if (!a) throw notFound(`portal account ${accountId} not found`);
    const entries = [{ customerNumber: a.customerNumber, registered: true as boolean, addedAt: undefined as Date | undefined, proof: undefined as CustomerNumberProof | undefined }];
    for (const n of a.customerNumbers ?? []) entries.push({ customerNumber: n.customerNumber, registered: false, addedAt: n.addedAt, proof: n.proof as CustomerNumberProof });
    const numbers = entries.map((e) => e.customerNumber);
    const names = new Map((await Company.find({ customerNumber: { $in: numbers } }, { name: 1, customerNumber: 1 }).lean()).map((c) => [c.customerNumber, c.name]));
    const terminals = await terminalsOf(deps.models, numbers);
    const link = a.numberLink;
    const pending = link && link.customerNumber && !link.usedAt && !link.lapsedAt && link.expiresAt > now() && !numbers.includes(link.customerNumber);
    return {
      accountId,
      customerNumbers: entries.map((e) => ({
        customerNumber: e.customerNumber,
        ...(names.has(e.customerNumber) ? { companyName: names.get(e.customerNumber)! } : {}),
        registered: e.registered,
        ...(e.addedAt ? { addedAt: e.addedAt.toISOString() } : {}),
        ...(e.proof ? { proof: e.proof } : {}),
        terminals: terminals.get(e.customerNumber)!.map(({ terminalId, location, model, status }) => ({ terminalId, location, model, status })),
      })),
      ...(pending ? { pendingConfirmation: { customerNumber: link.customerNumber!, expiresAt: link.expiresAt.toISOString() } } : {}),
    };
  }

  return {
    customerNumbers: overview,

    /**
     * With a Terminal-ID: added at once when the pair matches an active terminal
     * (else the one 422 of every mismatch). Without: answered before the customer
     * number is looked up (the answer tells nothing about it); a confirmation link
     * then goes to that customer's registered contact if it has an approved contract.
     */
    async addCustomerNumber(accountId: string, body: { customerNumber: string; terminalId?: string }): Promise<{ added: true } | { added: false }> {
      const { numbers } = await activeAccount(accountId);
      if (numbers.includes(body.customerNumber)) throw conflict(`customer number ${body.customerNumber} is on the account already`);
      if (body.terminalId !== undefined) {
        const match = await activeTerminal(deps.models, body.customerNumber, body.terminalId);
        if (!match) throw unprocessable('the customer number could not be added', [TERMINAL_MISMATCH]);
        await update(accountId, addCustomerNumberUpdate, { customerNumber: body.customerNumber, companyId: match.companyId, terminalId: body.terminalId });
        return { added: true };
      }
      const work = async () => {
        const company = await Company.findOne({ customerNumber: body.customerNumber }, { contract: 1 }).lean();
        if (company?.contract?.status !== 'approved') return;
        await update(accountId, requestCustomerNumberUpdate, { customerNumber: body.customerNumber, companyId: company._id as string });
      };
      work().catch((err: unknown) => ctx.logger.error({ error: String((err as Error)?.message ?? err) }, 'customer-number confirmation request failed'));
      return { added: false };
    },

    /** The token of a confirmation link (public: the token is the credential). */
    async confirmCustomerNumber(token: string) {
      const tokenHash = hashLinkToken(token);
      const a = await PortalAccount.findOne({ 'numberLink.tokenHash': tokenHash }, { _id: 1 }).lean();
      if (!a) throw badRequest('this link is not valid; a newer link may have replaced it', [{ field: 'token', message: 'unknown link' }]);
      const accountId = a._id as string;
      const result = await update(accountId, confirmCustomerNumberUpdate, { tokenHash });
      const added = result.customerNumbers.at(-1)!;
      return { accountId, customerNumber: added.customerNumber, at: result.at };
    },

    async removeCustomerNumber(accountId: string, customerNumber: string) {
      await activeAccount(accountId);
      await update(accountId, removeCustomerNumberUpdate, { customerNumber });
      return overview(accountId);
    },
  };
}
