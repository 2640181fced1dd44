/**
 * Records of the transport-licence watch (PROCESSES.md section 4): the
 * licence on the company record, its CargoCards and its contract. One
 * database write per activity; instants come from the workflow.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { CompanyDoc, Models } from '../db/models';
import { notFound, type TransportLicence } from '../workflows/definitions';
import { recordAudit } from './audit';
import { ensureRunning, licenceWatchStart } from './reconciliation';

const NOT_IN_USE = ['blocked', 'expired'];
/** Application phases that are over: the card is in use (its own workflow) or there never will be one. */
const CLOSED_APPLICATIONS = ['active', 'cancelled'];

/**
 * Companies whose licence must be watched, whatever their registration said: those that requested
 * CargoCards, hold one in use or have an open application for one (PROCESSES.md section 4).
 */
export async function cargoCardCompanyIds(models: Models, among?: string[]): Promise<Set<string>> {
  const scope = among ? { companyId: { $in: among } } : {};
  const [holders, applicants] = await Promise.all([
    models.Card.distinct('companyId', { ...scope, cardType: 'CargoCard', status: { $nin: NOT_IN_USE } }),
    models.CardApplication.distinct('companyId', { ...scope, cardType: 'CargoCard', status: { $nin: CLOSED_APPLICATIONS } }),
  ]);
  return new Set([...holders, ...applicants].map(String));
}

export interface WatchedCompany {
  companyName: string;
  customerNumber: string;
  /** Absent when there is nothing to watch; `reason` says why. */
  licence?: TransportLicence;
  reason: string;
}

export function createLicenceActivities(deps: { models: Models; temporal?: Client }) {
  const { Company, Card, CardApplication } = deps.models;
  const audit = (subject: string, event: string, at: string, data?: Record<string, unknown>) =>
    recordAudit(deps.models, Context.current().info, { subject, event, actor: 'licence-watch', at, data });

  return {
    /** The licence the watch plans from, if the company requested or holds CargoCards, has a licence and an approved contract. */
    async loadLicenceWatch(input: { companyId: string }): Promise<WatchedCompany> {
      const company = await Company.findById(input.companyId).lean();
      if (!company) throw notFound(`company ${input.companyId} not found`);
      const base = { companyName: company.name, customerNumber: company.customerNumber };
      const l = company.transportLicence;
      if (!company.requestsCargoCards && !(await cargoCardCompanyIds(deps.models, [input.companyId])).size) {
        return { ...base, reason: 'the company neither requests nor holds CargoCards' };
      }
      if (company.contract?.status !== 'approved') return { ...base, reason: `the contract is ${company.contract?.status}` };
      if (!l) return { ...base, reason: 'the company has no transport licence' };
      const licence: TransportLicence = { number: l.number, expiresOn: l.expiresOn, documentRef: l.documentRef };
      if (l.bridgingUntil) Object.assign(licence, { bridgingUntil: l.bridgingUntil, bridgingProofRef: l.bridgingProofRef ?? '' });
      return { ...base, licence, reason: 'watching' };
    },

    /** A renewed licence replaces the old one (and any bridging period). */
    async recordLicenceRenewal(input: { companyId: string; number: string; expiresOn: string; documentRef: string; at: string }): Promise<void> {
      const { companyId, at, ...licence } = input;
      const res = await Company.updateOne({ _id: companyId }, { $set: { transportLicence: licence } });
      if (res.matchedCount === 0) throw notFound(`company ${companyId} not found`);
      await audit(companyId, `licence-renewed:${licence.expiresOn}`, at, licence);
    },

    /** NIWO bridging period: the effective expiry moves to its end day. */
    async recordLicenceBridging(input: { companyId: string; until: string; proofRef: string; at: string }): Promise<void> {
      const res = await Company.updateOne(
        { _id: input.companyId, transportLicence: { $exists: true } },
        { $set: { 'transportLicence.bridgingUntil': input.until, 'transportLicence.bridgingProofRef': input.proofRef } },
      );
      if (res.matchedCount === 0) throw notFound(`company ${input.companyId} (with a transport licence) not found`);
      await audit(input.companyId, `licence-bridging:${input.until}`, input.at, { until: input.until, proofRef: input.proofRef });
    },

    /** Every CargoCard of the company that is not blocked or expired, by card number. */
    async listCompanyCargoCards(input: { companyId: string }): Promise<string[]> {
      const cards = await Card.find({ companyId: input.companyId, cardType: 'CargoCard', status: { $nin: NOT_IN_USE } }, { _id: 1 })
        .sort({ _id: 1 })
        .lean();
      return cards.map((c) => String(c._id));
    },

    /** Open CargoCard applications of the company (no active card yet, not cancelled), by application ID. */
    async listOpenCargoCardApplications(input: { companyId: string }): Promise<string[]> {
      const apps = await CardApplication.find(
        { companyId: input.companyId, cardType: 'CargoCard', status: { $nin: CLOSED_APPLICATIONS } },
        { _id: 1 },
      )
        .sort({ _id: 1 })
        .lean();
      return apps.map((a) => String(a._id));
    },

    /**
     * A company that applies for a CargoCard has a running licence watch (started if missing, restarted if it
     * failed), whatever its registration said; the nightly reconciliation checks the same invariant.
     */
    async ensureLicenceWatch(input: { companyId: string }): Promise<string> {
      if (!deps.temporal) throw new Error('ensureLicenceWatch needs a Temporal client (ActivityDeps.temporal)');
      const company = await Company.findById(input.companyId).lean();
      if (!company) throw notFound(`company ${input.companyId} not found`);
      return ensureRunning(deps.temporal, Context.current().info.taskQueue, licenceWatchStart(company as CompanyDoc & { _id: string }));
    },

    /** Blocks the records of those CargoCards, including any without a running workflow. */
    async blockCompanyCargoCards(input: { companyId: string; at: string; reason: string }): Promise<void> {
      await Card.updateMany(
        { companyId: input.companyId, cardType: 'CargoCard', status: { $nin: NOT_IN_USE } },
        { $set: { status: 'blocked', blockedAt: new Date(input.at), blockReason: input.reason }, $unset: { scheduledBlock: 1 } },
      );
      await audit(input.companyId, 'cargo-cards-blocked', input.at, { reason: input.reason });
    },

    /** The contract ends; the Chamber of Commerce and VAT numbers may register again. */
    async terminateContractForExpiredLicence(input: { companyId: string; at: string; reason: string }): Promise<void> {
      const res = await Company.updateOne(
        { _id: input.companyId, 'contract.status': 'approved' },
        {
          $set: {
            'contract.status': 'terminated',
            'contract.terminatedAt': new Date(input.at),
            'contract.terminationReason': input.reason,
            registrationKey: `closed:${input.companyId}`,
          },
        },
      );
      if (res.matchedCount === 0 && !(await Company.exists({ _id: input.companyId }))) throw notFound(`company ${input.companyId} not found`);
      await audit(input.companyId, 'contract-terminated', input.at, { reason: input.reason });
    },
  };
}
