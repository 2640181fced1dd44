/**
 * Cards in use: the card record, and its `cardInUse` workflow that blocks,
 * replaces, renews and expires it. The record answers what it can (unknown,
 * blocked, expired cards) before the workflow is asked; the workflow's
 * validators decide the rest (api/errors.ts maps their failures).
 */
import type { UpdateDefinition } from '@temporalio/common';
import type { CardDoc } from '../../db/models';
import {
  cancelBlockUpdate,
  cardInUseWorkflowId,
  renewCardUpdate,
  reportLostUpdate,
  scheduleBlockUpdate,
  type BlockRequest,
  type LossReport,
  type RenewalRequest,
} from '../../workflows/definitions';
import { conflict, notFound, unprocessable } from '../errors';
import { applicationPreconditions, PRECONDITIONS_BROKEN } from './card-applications';
import type { ServiceDeps } from './deps';
import { updateCase } from './updates';

type Card = CardDoc & { _id: string };

export function createCardService(deps: ServiceDeps) {
  const { Card } = deps.models;
  const now = deps.now ?? (() => new Date());

  async function load(cardNumber: string): Promise<Card> {
    const card = await Card.findById(cardNumber).lean();
    if (!card) throw notFound(`card ${cardNumber} not found`);
    return card as Card;
  }

  function view(card: Card) {
    const windowOpensAt = card.expiresAt ? deps.calendar.renewalWindowOpensAt(card.expiresAt) : undefined;
    const block = card.scheduledBlock;
    return {
      cardNumber: card._id,
      companyId: card.companyId,
      xsId: card.xsId,
      cardType: card.cardType,
      status: card.status,
      ...(card.activatedAt ? { activatedAt: card.activatedAt.toISOString() } : {}),
      ...(card.expiresAt ? { expiresAt: card.expiresAt.toISOString() } : {}),
      ...(windowOpensAt ? { renewalWindowOpensAt: windowOpensAt.toISOString() } : {}),
      expiring: card.status === 'active' && (Boolean(card.expiringSince) || (windowOpensAt !== undefined && windowOpensAt <= now())),
      ...(block?.on && block.takesEffectAt
        ? { scheduledBlock: { on: block.on, reason: block.reason ?? '', requestedBy: block.requestedBy ?? '', takesEffectAt: block.takesEffectAt.toISOString() } }
        : {}),
      ...(card.blockedAt ? { blockedAt: card.blockedAt.toISOString() } : {}),
      ...(card.blockReason ? { blockReason: card.blockReason } : {}),
      workflowId: cardInUseWorkflowId(card._id),
    };
  }

  /** A request on a card needs the card in use. */
  async function inUse(cardNumber: string, renewal = false): Promise<void> {
    const card = await load(cardNumber);
    if (card.status === 'expired' && renewal) throw unprocessable('expired cards cannot be renewed; request a new card');
    if (card.status === 'blocked' || card.status === 'expired') throw conflict(`card ${cardNumber} is ${card.status}`, { cardStatus: card.status });
    if (card.status !== 'active') throw conflict(`card ${cardNumber} is not in use yet (${card.status})`, { cardStatus: card.status });
  }

  /** A renewal or a lost card's replacement is a new application: the same preconditions, the same 422 (card-applications.ts). */
  async function newCardAllowed(cardNumber: string, then?: string): Promise<void> {
    const card = await load(cardNumber);
    const errors = await applicationPreconditions(deps, card, deps.calendar.dayOf(now()));
    if (errors.length) throw unprocessable(then ? `${PRECONDITIONS_BROKEN}: ${then}` : PRECONDITIONS_BROKEN, errors);
  }

  /** An Update to the card's life; a card whose life ended takes none. */
  const update = <Ret, Args extends unknown[]>(cardNumber: string, def: UpdateDefinition<Ret, Args>, args: Args) =>
    updateCase(deps.temporal, cardInUseWorkflowId(cardNumber), def, args, () => conflict(`card ${cardNumber} is no longer in use`));

  return {
    async get(cardNumber: string) {
      return view(await load(cardNumber));
    },

    async scheduleBlock(cardNumber: string, request: BlockRequest) {
      await inUse(cardNumber);
      return update(cardNumber, scheduleBlockUpdate, [request]);
    },

    async cancelBlock(cardNumber: string) {
      await inUse(cardNumber);
      return update(cardNumber, cancelBlockUpdate, []);
    },

    async renew(cardNumber: string, request: RenewalRequest) {
      await inUse(cardNumber, true);
      await newCardAllowed(cardNumber);
      return update(cardNumber, renewCardUpdate, [request]);
    },

    async reportLost(cardNumber: string, report: LossReport) {
      await inUse(cardNumber);
      // Nothing is done then, the block neither: the answer says so (block it with POST /v1/cards/{n}/block).
      await newCardAllowed(cardNumber, 'no replacement can be made, and the card was not blocked: block it on its own');
      return update(cardNumber, reportLostUpdate, [report]);
    },
  };
}
