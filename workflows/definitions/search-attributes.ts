/**
 * The custom search attributes operators filter on in the Web UI, typed.
 * `stack/` registers exactly these on the local dev server; a production
 * namespace needs them too (README: "Search attributes").
 *
 * SQLite visibility allows at most 10 Keyword and 3 each of Text, Int, Double,
 * Bool, Datetime and KeywordList attributes: this list stays within that.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

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

/** Name -> Temporal type, for registering the attributes on a server. */
export const SEARCH_ATTRIBUTE_TYPES: Record<string, string> = Object.fromEntries(
  Object.values(SA).map((key) => [key.name, key.type]),
);
