/** Records of the contract-approval process: one database write per activity. */
import { Context } from '@temporalio/activity';
import type { Models } from '../db/models';
import { notFound, type ContractDecision } from '../workflows/definitions';
import { recordAudit } from './audit';

export function createContractActivities(deps: { models: Models }) {
  const { Company } = deps.models;
  return {
    async markContractSlaBreached(input: { companyId: string; escalatedAt: string }): Promise<void> {
      const res = await Company.updateOne(
        { _id: input.companyId },
        { $set: { 'contract.slaBreached': true, 'contract.escalatedAt': new Date(input.escalatedAt) } },
      );
      if (res.matchedCount === 0) throw notFound(`company ${input.companyId} not found`);
      await recordAudit(deps.models, Context.current().info, {
        event: 'contract-sla-breached',
        subject: input.companyId,
        actor: 'system',
        at: input.escalatedAt,
      });
    },

    /** Stores the decision; a retry after success changes nothing. Returns what the email needs. */
    async recordContractDecision(
      input: ContractDecision & { companyId: string; decidedAt: string },
    ): Promise<{ customerNumber?: string; requestsCargoCards?: boolean }> {
      const set: Record<string, unknown> = {
        'contract.status': input.outcome,
        'contract.decidedAt': new Date(input.decidedAt),
        'contract.decidedBy': input.decidedBy,
      };
      if (input.outcome === 'rejected') {
        set['contract.rejectionReason'] = input.reason;
        // Frees the Chamber of Commerce / VAT numbers for a new registration.
        set.registrationKey = `closed:${input.companyId}`;
      }
      const company = await Company.findOneAndUpdate({ _id: input.companyId }, { $set: set }, { new: true }).lean();
      if (!company) throw notFound(`company ${input.companyId} not found`);
      await recordAudit(deps.models, Context.current().info, {
        event: `contract-${input.outcome}`,
        subject: input.companyId,
        actor: input.decidedBy,
        at: input.decidedAt,
        data: input.reason ? { reason: input.reason } : undefined,
      });
      return input.outcome === 'approved'
        ? { customerNumber: company.customerNumber, requestsCargoCards: Boolean(company.requestsCargoCards) }
        : {};
    },
  };
}
