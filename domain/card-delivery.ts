/**
 * Card delivery (PROCESSES.md section 2): from the approvals of an application
 * to its delivery plan, the moment the card is produced, and who may collect
 * it. Pure and deterministic (no clock, no I/O): safe in workflow code, and
 * the API and the tests compute the same plans.
 *
 * Decisions where PROCESSES.md leaves room:
 * - The moment A is the instant the application became approved for
 *   production: the later of the card user's and the back-office's approval.
 *   For urgent pickup the rule names the card user's approval; that is A
 *   whenever the back-office approved first (the usual case at the service
 *   point). When the back-office approves last, its approval is A: the card
 *   cannot be ready before production was allowed.
 * - An application converted to urgent is planned from the later of A and the
 *   conversion: a card cannot be ready before anyone asked for it to be urgent.
 * - Production: a regular card (post or pickup) is produced at the regular
 *   cut-off (13:00) of its ship/ready day, which leaves the morning to convert
 *   it to urgent; by post it is shipped at that moment. An urgent card is
 *   produced at once.
 * - A card not collected during the hold is handed to the post when the
 *   service point opens (08:00) on the next working day; the post rule then
 *   gives the expected delivery from that day.
 */
import type { BusinessCalendar, DeliveryMethod, Destination, IsoDay } from './calendar';

export interface PostPlan {
  method: 'post';
  /** ISO instant of the moment the plan is computed from (A, or the conversion to urgent). */
  decisiveAt: string;
  /** ISO instant the card is produced (and, by post, shipped). */
  productionAt: string;
  shipOn: IsoDay;
  expectedDeliveryBy: IsoDay;
}

export interface PickupPlan {
  method: 'pickup' | 'urgent-pickup';
  decisiveAt: string;
  productionAt: string;
  readyOn: IsoDay;
  /** ISO instants. */
  pickupFrom: string;
  pickupUntil: string;
  /** 17:00 on the last day of the hold. */
  holdUntil: string;
  /** The working day a card not collected goes to the post. */
  toPostOn: IsoDay;
  /** Checked at the service point on the card user's behalf: the card user must arrive by then (16:30 of the ready day). */
  arriveBy?: string;
}

export type DeliveryPlan = PostPlan | PickupPlan;

export interface PlanInput {
  /** The moment A: both parties have approved. */
  approvedAt: Date;
  method: DeliveryMethod;
  destination: Destination;
  convertedToUrgentAt?: Date | undefined;
  checkedAtServicePoint?: boolean | undefined;
}

/** The moment A, once both parties have approved: the later of the two approvals. */
export function approvalMoment(cardUserAt: string | undefined, backofficeAt: string | undefined): Date | undefined {
  if (!cardUserAt || !backofficeAt) return undefined;
  return new Date(Math.max(Date.parse(cardUserAt), Date.parse(backofficeAt)));
}

export function planDelivery(calendar: BusinessCalendar, input: PlanInput): DeliveryPlan {
  const rules = calendar.rules;
  if (input.method === 'post') {
    const { shipOn, expectedDeliveryBy } = calendar.postPlan(input.approvedAt, input.destination);
    return {
      method: 'post',
      decisiveAt: input.approvedAt.toISOString(),
      productionAt: calendar.atLocalTime(shipOn, rules.regularCutOff).toISOString(),
      shipOn,
      expectedDeliveryBy,
    };
  }
  const urgent = input.method === 'urgent-pickup';
  const decisiveAt =
    urgent && input.convertedToUrgentAt && input.convertedToUrgentAt > input.approvedAt ? input.convertedToUrgentAt : input.approvedAt;
  const p = calendar.pickupPlan(decisiveAt, urgent);
  return {
    method: input.method,
    decisiveAt: decisiveAt.toISOString(),
    productionAt: (urgent ? decisiveAt : calendar.atLocalTime(p.readyOn, rules.regularCutOff)).toISOString(),
    readyOn: p.readyOn,
    pickupFrom: p.pickupFrom.toISOString(),
    pickupUntil: p.pickupUntil.toISOString(),
    holdUntil: p.holdUntil.toISOString(),
    toPostOn: p.toPostOn,
    ...(urgent && input.checkedAtServicePoint ? { arriveBy: calendar.atLocalTime(p.readyOn, rules.urgentCutOff).toISOString() } : {}),
  };
}

/** When a card not collected during its hold is handed to the post, and when it is expected. */
export function holdToPost(
  calendar: BusinessCalendar,
  toPostOn: IsoDay,
  destination: Destination,
): { handToPostAt: Date; shipOn: IsoDay; expectedDeliveryBy: IsoDay } {
  const handToPostAt = calendar.atLocalTime(toPostOn, calendar.rules.servicePointOpensAt);
  return { handToPostAt, ...calendar.postPlan(handToPostAt, destination) };
}

/** Names compare without case, accents and extra spaces: "  anna  de VRIES" is "Anna de Vries". */
export function sameName(a: string, b: string): boolean {
  const norm = (s: string) =>
    s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').trim().replace(/\s+/g, ' ').toLowerCase();
  return norm(a) !== '' && norm(a) === norm(b);
}

/** Only the card user (by name or XS-ID) or the collector the company named in advance may collect the card. */
export function mayCollect(collectedBy: string, who: { cardUserName: string; xsId: string; collectorName?: string | undefined }): boolean {
  return (
    collectedBy.trim() === who.xsId ||
    sameName(collectedBy, who.cardUserName) ||
    (who.collectorName !== undefined && sameName(collectedBy, who.collectorName))
  );
}

