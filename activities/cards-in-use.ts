/**
 * Records of cards in use (PROCESSES.md section 3): one database write per
 * activity, every instant given by the workflow (its clock), so a retry writes
 * the same values again.
 */
import { Context } from '@temporalio/activity';
import type { Models } from '../db/models';
import {
  notFound,
  type CardApplicationInput,
  type CardBlock,
  type CardInUseInput,
  type DeliveryMethod,
  type Destination,
  type Replacement,
  type ScheduledBlock,
} from '../workflows/definitions';
import { recordAudit } from './audit';

export interface ReplacementApplicationInput {
  applicationId: string;
  /** The card being replaced, as its workflow knows it. */
  card: CardInUseInput;
  reason: Replacement['reason'];
  requestedBy: string;
  submittedAt: string;
  /** By default as the card being replaced was delivered. */
  deliveryMethod?: DeliveryMethod;
  destination?: Destination;
}

export function createCardInUseActivities(deps: { models: Models }) {
  const { Card, CardApplication } = deps.models;
  const audit = (subject: string, event: string, actor: string, at: string, data?: Record<string, unknown>) =>
    recordAudit(deps.models, Context.current().info, { subject, event, actor, at, data });

  async function mustExist(cardNumber: string): Promise<void> {
    if (!(await Card.exists({ _id: cardNumber }))) throw notFound(`card ${cardNumber} not found`);
  }

  return {
    /** The renewal window opened: the card shows as expiring (portal, digest). */
    async markCardExpiring(input: { cardNumber: string; at: string }): Promise<void> {
      const res = await Card.updateOne({ _id: input.cardNumber, status: 'active' }, { $set: { expiringSince: new Date(input.at) } });
      if (res.matchedCount === 0) await mustExist(input.cardNumber);
    },

    /** A block scheduled for a later day (or, with `block: null`, its cancellation), shown on the card. */
    async recordCardBlockSchedule(input: { cardNumber: string; block: ScheduledBlock | null; cancelled?: ScheduledBlock }): Promise<void> {
      const { block, cancelled } = input;
      const res = await Card.updateOne(
        { _id: input.cardNumber, status: { $nin: ['blocked', 'expired'] } },
        block
          ? { $set: { scheduledBlock: { on: block.on, reason: block.reason, requestedBy: block.requestedBy, takesEffectAt: new Date(block.takesEffectAt) } } }
          : { $unset: { scheduledBlock: 1 } },
      );
      if (res.matchedCount === 0) await mustExist(input.cardNumber);
      const what = block ?? cancelled;
      if (what) {
        await audit(input.cardNumber, block ? `block-scheduled:${what.on}` : `block-cancelled:${what.on}`, what.requestedBy, what.scheduledAt, {
          on: what.on,
          reason: what.reason,
        });
      }
    },

    /** Blocks the card; a card blocked already (e.g. by the licence watch) keeps its first block. */
    async blockCardRecord(input: { cardNumber: string; at: string; reason: string; by: string }): Promise<CardBlock> {
      await Card.updateOne(
        { _id: input.cardNumber, status: { $ne: 'blocked' } },
        { $set: { status: 'blocked', blockedAt: new Date(input.at), blockReason: input.reason }, $unset: { scheduledBlock: 1 } },
      );
      const card = await Card.findById(input.cardNumber, { blockedAt: 1, blockReason: 1 }).lean();
      if (!card) throw notFound(`card ${input.cardNumber} not found`);
      const at = (card.blockedAt ?? new Date(input.at)).toISOString();
      // Audited when this block is the card's (also on a retry after the write).
      if (at === new Date(input.at).toISOString()) await audit(input.cardNumber, 'card-blocked', input.by, input.at, { reason: input.reason });
      return { at, reason: card.blockReason ?? input.reason, by: input.by };
    },

    /** The card reached its expiry; a blocked card stays blocked. */
    async expireCardRecord(input: { cardNumber: string; at: string }): Promise<void> {
      const res = await Card.updateOne({ _id: input.cardNumber, status: 'active' }, { $set: { status: 'expired' }, $unset: { scheduledBlock: 1 } });
      if (res.matchedCount === 0) await mustExist(input.cardNumber);
    },

    /**
     * The record of the application that replaces a card (renewal or loss),
     * before its workflow starts; a retry finds it and changes nothing. Returns
     * the workflow's input.
     */
    async createReplacementApplication(input: ReplacementApplicationInput): Promise<CardApplicationInput> {
      const { card } = input;
      const previous = await CardApplication.findById(card.applicationId, { deliveryMethod: 1, destination: 1 }).lean();
      const application: CardApplicationInput = {
        applicationId: input.applicationId,
        companyId: card.companyId,
        customerNumber: card.customerNumber,
        xsId: card.xsId,
        cardType: card.cardType,
        deliveryMethod: input.deliveryMethod ?? (previous?.deliveryMethod as DeliveryMethod | undefined) ?? 'post',
        destination: input.destination ?? (previous?.destination as Destination | undefined) ?? 'NL',
        submittedAt: input.submittedAt,
        replaces: { cardNumber: card.cardNumber, reason: input.reason },
      };
      const { applicationId, submittedAt, ...fields } = application;
      await CardApplication.updateOne(
        { _id: applicationId },
        { $setOnInsert: { ...fields, submittedAt: new Date(submittedAt), status: 'awaiting-approvals' } },
        { upsert: true },
      );
      await audit(card.cardNumber, `replacement-requested:${applicationId}`, input.requestedBy, submittedAt, { reason: input.reason, applicationId });
      return application;
    },
  };
}
