/**
 * The closed lists of the business, each defined once: the TypeScript type,
 * the API's zod schemas (`z.enum(LIST)`), the mongoose enums (`enum: LIST`)
 * and the workflows' checks are all derived from these arrays.
 */

/** The XS-Key cards (PROCESSES.md section 2). */
export const CARD_TYPES = ['CargoCard', 'DigitalSafetyPassport', 'PortKey'] as const;
export type CardType = (typeof CARD_TYPES)[number];

/** How a card reaches its user: by post, picked up at the service point, or urgently produced and picked up. */
export const DELIVERY_METHODS = ['post', 'pickup', 'urgent-pickup'] as const;
export type DeliveryMethod = (typeof DELIVERY_METHODS)[number];

/** Where a card sent by post goes: the Netherlands (5 working days) or abroad (10). */
export const DESTINATIONS = ['NL', 'abroad'] as const;
export type Destination = (typeof DESTINATIONS)[number];

/** The languages of every email and template. */
export const LANGUAGES = ['de', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

/** A company's contract: pending approval, approved, rejected, or terminated (a licence block). */
export const CONTRACT_STATUSES = ['pending', 'approved', 'rejected', 'terminated'] as const;
export type ContractStatus = (typeof CONTRACT_STATUSES)[number];

/** A card from production to its end. */
export const CARD_STATUSES = ['produced', 'held', 'shipped', 'collected', 'active', 'blocked', 'expired'] as const;
export type CardStatus = (typeof CARD_STATUSES)[number];

/** A portal account's phase (PROCESSES.md section 6). */
export const ACCOUNT_PHASES = ['pending-activation', 'active', 'locked', 'lapsed'] as const;
export type AccountPhase = (typeof ACCOUNT_PHASES)[number];

/** How a portal user proved an added customer number: a Terminal-ID of that customer, or a link its contact confirmed. */
export const CUSTOMER_NUMBER_PROOFS = ['terminal', 'link'] as const;
export type CustomerNumberProof = (typeof CUSTOMER_NUMBER_PROOFS)[number];

/** Whether `value` is one of `list` (for checks of input that has not been through a schema, e.g. in workflows). */
export function isOneOf<T extends string>(list: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (list as readonly string[]).includes(value);
}
