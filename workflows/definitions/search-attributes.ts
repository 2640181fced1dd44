/**
 * The custom search attributes operators filter on in the Web UI, typed.
 * `stack/` registers exactly these on the local dev server; a production
 * namespace needs them too (docs/operations.md, "Search attributes", generated
 * from this file by `npm run docs`).
 *
 * SQLite visibility allows at most 10 Keyword and 3 each of Text, Int, Double,
 * Bool, Datetime and KeywordList attributes: this list stays within that.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { SearchAttributePair } from '@temporalio/common';
import { CARD_TYPES, DELIVERY_METHODS, type CardType, type DeliveryMethod } from '../../domain/vocabulary';

const oneOf = (values: readonly string[]) => `one of ${values.map((v) => `\`${v}\``).join(', ')}`;

/**
 * The memo of a case (workflows/support.ts showStatus writes it with its status): what readers that must not
 * wake a sleeping case get from a describe. `waitingFor` is the one line operators read (the Web UI's
 * current details); `licence` is a licence watch's state (LicenceWatchState, or null: nothing to watch);
 * `application` is a card application's state (CardApplicationState).
 */
export const MEMO = { waitingFor: 'waitingFor', licence: 'licence', application: 'application' } as const;

export const SA = {
  /** The company's ID in the back-office (every case of a company carries it). */
  companyId: defineSearchAttributeKey('CompanyId', SearchAttributeType.KEYWORD),
  /** The company's customer number, once the contract is approved. */
  customerNumber: defineSearchAttributeKey('CustomerNumber', SearchAttributeType.KEYWORD),
  /** The card user's XS-ID. */
  xsId: defineSearchAttributeKey('XsId', SearchAttributeType.KEYWORD),
  cardNumber: defineSearchAttributeKey('CardNumber', SearchAttributeType.KEYWORD),
  cardType: defineSearchAttributeKey('CardType', SearchAttributeType.KEYWORD),
  deliveryMethod: defineSearchAttributeKey('DeliveryMethod', SearchAttributeType.KEYWORD),
  /** Where the case stands, e.g. `awaiting-decision`, `approved`; one vocabulary per process. */
  phase: defineSearchAttributeKey('Phase', SearchAttributeType.KEYWORD),
  /** When the case next needs something to happen (a deadline, a timer). */
  nextDueAt: defineSearchAttributeKey('NextDueAt', SearchAttributeType.DATETIME),
  /** True once a service-level target has passed without the awaited action. */
  slaBreached: defineSearchAttributeKey('SlaBreached', SearchAttributeType.BOOL),
  /** Portal accounts: wrong passwords in a row (a lock by them: Phase = "locked" AND FailedSignIns >= the limit). */
  failedSignIns: defineSearchAttributeKey('FailedSignIns', SearchAttributeType.INT),
} as const;

/** What each attribute says, for operators (docs/operations.md is generated from it). */
export const SEARCH_ATTRIBUTE_MEANING: Record<keyof typeof SA, string> = {
  companyId: 'the company in the back-office; every case of a company carries it',
  customerNumber: "the company's customer number (assigned at registration, told with the approval)",
  xsId: "the card user's XS-ID",
  cardNumber: 'the XS-Key card, once produced',
  cardType: oneOf(CARD_TYPES),
  deliveryMethod: `how the card reaches its user: ${oneOf(DELIVERY_METHODS)}`,
  phase: 'where the case stands (`awaiting-decision`, `locked`, ...), one vocabulary per process',
  nextDueAt: 'when the case next needs something to happen (a deadline, a timer)',
  slaBreached: 'true once a service-level target passed without the awaited action',
  failedSignIns: 'portal accounts: wrong passwords in a row',
};

/** Name -> Temporal type, for registering the attributes on a server. */
export const SEARCH_ATTRIBUTE_TYPES: Record<string, string> = Object.fromEntries(
  Object.values(SA).map((key) => [key.name, key.type]),
);

/**
 * What every workflow of one card carries (its application, pickup hold and
 * life), so operators find all of them by company, customer number, XS-ID or
 * card: built here once for the API, the workflows and the seed.
 */
export function applicationSearchAttributes(
  of: { companyId: string; customerNumber: string; xsId: string; cardType: CardType },
  more: { deliveryMethod?: DeliveryMethod; cardNumber?: string; phase?: string } = {},
): SearchAttributePair[] {
  return [
    { key: SA.companyId, value: of.companyId },
    { key: SA.customerNumber, value: of.customerNumber },
    { key: SA.xsId, value: of.xsId },
    { key: SA.cardType, value: of.cardType },
    ...(more.deliveryMethod ? [{ key: SA.deliveryMethod, value: more.deliveryMethod }] : []),
    ...(more.cardNumber ? [{ key: SA.cardNumber, value: more.cardNumber }] : []),
    ...(more.phase ? [{ key: SA.phase, value: more.phase }] : []),
  ];
}
