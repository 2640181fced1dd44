/**
 * Records of the card-application process and the card itself: one database
 * write per activity, every instant given by the workflow (its clock), so a
 * retry writes the same values again.
 */
import { Context } from '@temporalio/activity';
import type { Models } from '../db/models';
import type { Mailer } from '../email/mailer';
import {
  conflict,
  notFound,
  type Approval,
  type CardApplicationInput,
  type CardApplicationPhase,
  type CardApplicationState,
} from '../workflows/definitions';
import { loadPreconditionFacts } from '../db/precondition-facts';
import { preconditionBreaches, type PreconditionRequest, type RuleBreach } from '../domain/card-preconditions';
import { recordAudit } from './audit';
import { createLocalCardPrinter, hashPin, newPin, pinMatches, type CardPrinter, type ProductionOrder } from './card-production';
import { createEmailActivities, messageIdFor, outboxKey, type EmailKey, type SendEmailResult } from './email';

/**
 * What changed on an application; only the fields given are written. The
 * fields are the workflow state's own (workflows/definitions), instants as ISO strings.
 */
/** The PIN attempts as the API shows them (lockedAt null: unlocked). */
export interface PinProgress {
  failedAttempts: number;
  lockedAt: string | null;
  reissued: number;
}

export type ApplicationProgress = {
  applicationId: string;
  status?: CardApplicationPhase;
  cardUserApproval?: Approval;
  backofficeApproval?: Approval;
  pin?: PinProgress;
} & Partial<
  Pick<
    CardApplicationState,
    | 'approvedAt'
    | 'deliveryMethod'
    | 'convertedToUrgentAt'
    | 'plan'
    | 'collectorName'
    | 'producedAt'
    | 'cardNumber'
    | 'shippedOn'
    | 'expectedDeliveryBy'
    | 'collectedAt'
    | 'collectedBy'
    | 'activatedAt'
    | 'expiresAt'
    | 'cancelledAt'
    | 'cancellationReason'
  >
>;

/** What the production write records on the application besides its card (produceCard's `recordOnApplication`). */
export type ProductionProgress = Partial<Pick<CardApplicationState, 'approvedAt' | 'plan'>>;

const INSTANTS = ['approvedAt', 'convertedToUrgentAt', 'producedAt', 'collectedAt', 'activatedAt', 'expiresAt', 'cancelledAt'] as const;

function progressUpdate(p: ApplicationProgress): Record<string, unknown> {
  const { applicationId: _id, cardUserApproval, backofficeApproval, pin, ...rest } = p;
  const set: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) {
    if (value !== undefined) set[key] = (INSTANTS as readonly string[]).includes(key) ? new Date(value as string) : value;
  }
  if (cardUserApproval) {
    set.cardUserApprovedAt = new Date(cardUserApproval.at);
    set.cardUserApprovedBy = cardUserApproval.by;
    set.checkedAtServicePoint = Boolean(cardUserApproval.atServicePoint);
  }
  if (backofficeApproval) {
    set.backofficeApprovedAt = new Date(backofficeApproval.at);
    set.backofficeApprovedBy = backofficeApproval.by;
  }
  if (pin) set.pin = { failedAttempts: pin.failedAttempts, lockedAt: pin.lockedAt ? new Date(pin.lockedAt) : null, reissued: pin.reissued };
  return set;
}

export interface CardActivityDeps {
  models: Models;
  mailer: Mailer;
  backofficeLead: string;
  /** The card bureau; the local printer (MongoDB) unless given. */
  cardPrinter?: CardPrinter;
}

export function createCardActivities(deps: CardActivityDeps) {
  const { CardApplication, CardUser, Company, Card, EmailOutbox } = deps.models;
  const printer = deps.cardPrinter ?? createLocalCardPrinter(deps.models);
  const { sendEmail } = createEmailActivities(deps);

  /** The PIN mail once: a PIN already forgotten was sent (the outbox says so), or it is lost (a conflict). */
  async function sendPinEmail(input: { key: EmailKey; companyId: string; cardNumber: string; data: Record<string, string> }): Promise<SendEmailResult> {
    const card = await Card.findById(input.cardNumber, { pinForDelivery: 1 }).lean();
    if (!card) throw notFound(`card ${input.cardNumber} not found`);
    if (!card.pinForDelivery) {
      const outbox = await EmailOutbox.findById(outboxKey(input.key), { status: 1 }).lean();
      if (outbox?.status === 'sent') return { outcome: 'already-sent', messageId: messageIdFor(outboxKey(input.key), deps.mailer.from) };
      throw conflict(`the PIN of card ${input.cardNumber} is no longer available to send`);
    }
    return sendEmail({
      key: input.key,
      to: { kind: 'company-contact', companyId: input.companyId },
      template: 'card-pin',
      data: { ...input.data, cardNumber: input.cardNumber, pin: card.pinForDelivery },
    });
  }

  return {
    /**
     * The application's record exists (the API creates it; an application
     * started by another process gets it here). Returns the names the emails use.
     */
    async recordApplicationReceived(input: CardApplicationInput): Promise<{ cardUserName: string; companyName: string }> {
      const [user, company] = await Promise.all([
        CardUser.findById(input.xsId, { firstName: 1, lastName: 1 }).lean(),
        Company.findById(input.companyId, { name: 1 }).lean(),
      ]);
      if (!user) throw notFound(`card user ${input.xsId} not found`);
      if (!company) throw notFound(`company ${input.companyId} not found`);
      await CardApplication.updateOne(
        { _id: input.applicationId },
        {
          $setOnInsert: {
            companyId: input.companyId,
            customerNumber: input.customerNumber,
            xsId: input.xsId,
            cardType: input.cardType,
            deliveryMethod: input.deliveryMethod,
            destination: input.destination,
            submittedAt: new Date(input.submittedAt),
            status: 'awaiting-approvals',
            ...(input.replaces ? { replaces: input.replaces } : {}),
          },
        },
        { upsert: true },
      );
      return { cardUserName: `${user.firstName} ${user.lastName}`, companyName: company.name };
    },

    async recordApplicationProgress(progress: ApplicationProgress): Promise<void> {
      const res = await CardApplication.updateOne({ _id: progress.applicationId }, { $set: progressUpdate(progress) });
      if (res.matchedCount === 0) throw notFound(`card application ${progress.applicationId} not found`);
    },

    /**
     * Through the card-production adapter; a retry returns the same card. The PIN stays out of the result.
     * With `recordOnApplication` (card-application-fewer-steps) the application is recorded as in
     * production with its card in the same activity, instead of a recordApplicationProgress after it:
     * one step fewer per card; a retry writes the same values again.
     */
    async produceCard(order: ProductionOrder & { recordOnApplication?: ProductionProgress }): Promise<{ cardNumber: string }> {
      const { recordOnApplication, ...production } = order;
      const { cardNumber } = await printer.produce(production);
      if (recordOnApplication) {
        const progress = { ...recordOnApplication, status: 'in-production' as const, cardNumber, producedAt: order.producedAt };
        const res = await CardApplication.updateOne({ _id: order.applicationId }, { $set: progressUpdate({ applicationId: order.applicationId, ...progress }) });
        if (res.matchedCount === 0) throw notFound(`card application ${order.applicationId} not found`);
      }
      return { cardNumber };
    },

    /**
     * The PIN email to the company contact, with the PIN read from the card (never from workflow history).
     * With `forgetPin` (card-application-fewer-steps) the PIN is forgotten once the mail is accepted, instead
     * of by forgetCardPin after it: a retry after that finds no PIN and the outbox's `sent`, and sends nothing.
     */
    async sendCardPinEmail(input: {
      key: EmailKey;
      companyId: string;
      cardNumber: string;
      data: Record<string, string>;
      forgetPin?: boolean;
    }): Promise<SendEmailResult> {
      const result = await sendPinEmail(input);
      if (input.forgetPin) await Card.updateOne({ _id: input.cardNumber }, { $unset: { pinForDelivery: 1 } });
      return result;
    },


    /**
     * A new PIN for a card (customer service, e.g. after activation locked): its hash replaces the old one and
     * the PIN waits on the card for its email, like the first. Once per `issue`: a retry finds it issued.
     */
    async reissueCardPin(input: { cardNumber: string; issue: number; requestedBy: string; at: string }): Promise<{ issuedAt: string }> {
      const card = await Card.findById(input.cardNumber, { pinIssue: 1 }).lean();
      if (!card) throw notFound(`card ${input.cardNumber} not found`);
      if ((card.pinIssue ?? 0) < input.issue) {
        const pin = newPin();
        await Card.updateOne(
          { _id: input.cardNumber, $or: [{ pinIssue: { $exists: false } }, { pinIssue: { $lt: input.issue } }] },
          { $set: { pinHash: await hashPin(pin), pinForDelivery: pin, pinIssue: input.issue } },
        );
        await recordAudit(deps.models, Context.current().info, {
          event: `card-pin-reissued-${input.issue}`, subject: input.cardNumber, actor: input.requestedBy, at: input.at,
        });
      }
      return { issuedAt: input.at };
    },

    /** After the PIN email went out, only the hash is left. */
    async forgetCardPin(input: { cardNumber: string }): Promise<void> {
      await Card.updateOne({ _id: input.cardNumber }, { $unset: { pinForDelivery: 1 } });
    },

    /** The card's way to its user: held at the service point, collected, or shipped by post. */
    async recordCardHandover(input: {
      cardNumber: string;
      status: 'held' | 'collected' | 'shipped';
      at: string;
      collectedBy?: string;
      shippedOn?: string;
    }): Promise<void> {
      const set: Record<string, unknown> = { status: input.status };
      if (input.status === 'collected') Object.assign(set, { collectedAt: new Date(input.at), collectedBy: input.collectedBy });
      if (input.status === 'shipped') set.shippedOn = input.shippedOn;
      // A blocked card stays blocked: handing it over records who has it, never a status over the block.
      const res = await Card.updateOne({ _id: input.cardNumber, status: { $ne: 'blocked' } }, { $set: set });
      if (res.matchedCount === 0) {
        const card = await Card.findById(input.cardNumber, { status: 1 }).lean();
        if (!card) throw notFound(`card ${input.cardNumber} not found`);
        const { status: _status, ...who } = set;
        if (Object.keys(who).length) await Card.updateOne({ _id: input.cardNumber }, { $set: who });
      }
    },

    /** A blocked card (its company's licence expired, say) is refused before its PIN is looked at. */
    async verifyCardPin(input: { cardNumber: string; pin: string }): Promise<boolean> {
      const card = await Card.findById(input.cardNumber, { pinHash: 1, status: 1, blockReason: 1 }).lean();
      if (!card) throw notFound(`card ${input.cardNumber} not found`);
      if (card.status === 'blocked') throw conflict(`card ${input.cardNumber} is blocked (${card.blockReason ?? 'no reason recorded'}): it cannot be activated`);
      return await pinMatches(input.pin, card.pinHash);
    },

    /** Never over a block: a card blocked after its PIN was accepted stays blocked (its workflow then blocks it too). */
    async recordCardActivated(input: { cardNumber: string; activatedAt: string; expiresAt: string }): Promise<void> {
      const res = await Card.updateOne(
        { _id: input.cardNumber, status: { $ne: 'blocked' } },
        { $set: { status: 'active', activatedAt: new Date(input.activatedAt), expiresAt: new Date(input.expiresAt) } },
      );
      if (res.matchedCount === 0 && !(await Card.exists({ _id: input.cardNumber }))) throw notFound(`card ${input.cardNumber} not found`);
    },

    /**
     * The rules of every card application (domain/card-preconditions.ts) as of `today` (the workflow's
     * local day): the workflow asks again when both approvals are in and right before production.
     */
    async checkApplicationPreconditions(input: PreconditionRequest & { today: string }): Promise<RuleBreach[]> {
      return preconditionBreaches(input, await loadPreconditionFacts(deps.models, input), input.today);
    },

    /** A cancelled application's card, if one was produced, can never be handed over or activated. */
    async blockCardOfCancelledApplication(input: { cardNumber: string; at: string; reason: string }): Promise<void> {
      await Card.updateOne(
        { _id: input.cardNumber, status: { $nin: ['blocked', 'expired'] } },
        { $set: { status: 'blocked', blockedAt: new Date(input.at), blockReason: input.reason } },
      );
      await recordAudit(deps.models, Context.current().info, {
        event: 'card-blocked-application-cancelled', subject: input.cardNumber, actor: 'card-application', at: input.at, data: { reason: input.reason },
      });
    },
  };
}
