/**
 * Payment terminals (docs/accounts-terminals.md): the back-office registers
 * and retires them; portal registration and adding a customer number match a
 * (customer number, Terminal-ID) pair against an active one (`activeTerminal`).
 */
import { isDuplicateKey, type Models, type TerminalDoc } from '../../db/models';
import { conflict, notFound, unprocessable } from '../errors';
import type { ServiceDeps } from './deps';

type Terminal = TerminalDoc & { _id: string };

/** The one answer to every mismatch of a customer number and Terminal-ID, whatever did not match (nothing to enumerate). */
export const TERMINAL_MISMATCH = { field: 'terminalId', message: 'customer number and Terminal-ID do not match an active terminal' };

export function terminalView(t: Terminal) {
  return {
    terminalId: t._id,
    customerNumber: t.customerNumber,
    location: t.location,
    model: t.model,
    status: t.status,
    registeredAt: t.registeredAt.toISOString(),
    ...(t.retiredAt ? { retiredAt: t.retiredAt.toISOString() } : {}),
    ...(t.retireReason ? { retireReason: t.retireReason } : {}),
  };
}

/**
 * The approved company of the customer number, if an ACTIVE terminal with this
 * ID belongs to it; undefined for every kind of mismatch (unknown terminal,
 * another customer's, retired, unknown or unapproved customer number), so the
 * callers answer all of them alike and nothing can be enumerated.
 */
export async function activeTerminal(models: Pick<Models, 'Terminal' | 'Company'>, customerNumber: string, terminalId: string) {
  const terminal = await models.Terminal.findOne({ _id: terminalId.toUpperCase(), customerNumber, status: 'active' }, { companyId: 1 }).lean();
  const company = await models.Company.findOne({ customerNumber }, { name: 1, contract: 1 }).lean();
  if (!terminal || company?.contract?.status !== 'approved' || company._id !== terminal.companyId) return undefined;
  return { companyId: company._id as string, companyName: company.name };
}

/** The active and retired terminals of these customer numbers, by customer number (the account overview). */
export async function terminalsOf(models: Pick<Models, 'Terminal'>, customerNumbers: string[]) {
  const found = (await models.Terminal.find({ customerNumber: { $in: customerNumbers } }).sort({ _id: 1 }).lean()) as Terminal[];
  return new Map(customerNumbers.map((n) => [n, found.filter((t) => t.customerNumber === n).map(terminalView)]));
}

export function createTerminalService(deps: ServiceDeps) {
  const { Terminal, Company } = deps.models;
  const now = deps.now ?? (() => new Date());

  async function find(terminalId: string): Promise<Terminal> {
    const t = await Terminal.findById(terminalId).lean();
    if (!t) throw notFound(`terminal ${terminalId} not found`);
    return t as Terminal;
  }

  return {
    /** Registers a terminal to a customer with an approved contract; a retired one may be registered again (moved). */
    async register(body: { terminalId: string; customerNumber: string; location: string; model: string; by: string }) {
      const company = await Company.findOne({ customerNumber: body.customerNumber }, { contract: 1 }).lean();
      if (company?.contract?.status !== 'approved') {
        throw unprocessable('terminals belong to a customer with an approved contract', [
          { field: 'customerNumber', message: 'is not the customer number of a company with an approved contract' },
        ]);
      }
      const fields = {
        customerNumber: body.customerNumber,
        companyId: company._id as string,
        location: body.location,
        model: body.model,
        status: 'active' as const,
        registeredAt: now(),
        registeredBy: body.by,
      };
      // Moving a retired terminal: one conditional update, so of two racing registrations only one wins.
      const moved = await Terminal.findOneAndUpdate(
        { _id: body.terminalId, status: 'retired' },
        { $set: fields, $unset: { retiredAt: 1, retiredBy: 1, retireReason: 1 } },
        { new: true },
      ).lean();
      if (moved) return terminalView(moved as Terminal);
      try {
        const created = await Terminal.create({ _id: body.terminalId, ...fields });
        return terminalView(created.toObject() as Terminal);
      } catch (err) {
        if (isDuplicateKey(err)) throw conflict(`terminal ${body.terminalId} is registered and active; retire it first`, { terminalId: body.terminalId });
        throw err;
      }
    },

    async get(terminalId: string) {
      return terminalView(await find(terminalId));
    },

    async list(customerNumber: string) {
      return { terminals: (await terminalsOf(deps.models, [customerNumber])).get(customerNumber)! };
    },

    /** A retired terminal proves nothing any more (registration, adding a customer number). */
    async retire(terminalId: string, body: { by: string; reason?: string }) {
      const retiredAt = now();
      const set = { status: 'retired', retiredAt, retiredBy: body.by, ...(body.reason ? { retireReason: body.reason } : {}) };
      const res = await Terminal.updateOne({ _id: terminalId, status: 'active' }, { $set: set });
      if (res.matchedCount === 0) {
        await find(terminalId); // 404 when unknown
        throw conflict(`terminal ${terminalId} is retired already`, { terminalId });
      }
      return terminalView(await find(terminalId));
    },
  };
}
