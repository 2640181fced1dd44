/**
 * /v1/planning: "when can the card user pick it up?" and the like, computed
 * by domain/calendar.ts, the same module the workflows use. No I/O.
 */
import type { BusinessCalendar } from '../../domain/calendar';
import { json, problemResponse } from '../openapi-helpers';
import { endpointsFor } from '../operations';
import {
  cardDeliveryPlan,
  cardDeliveryQuery,
  contractDuePlan,
  contractDueQuery,
  digestDatesPlan,
  digestDatesQuery,
  licenceWarningPlan,
  licenceWarningQuery,
} from '../schemas/planning';
import type { Resource } from '.';

const endpoint = endpointsFor<BusinessCalendar>();
const answers = (answer: Parameters<typeof json>[0]) => ({
  '200': { description: 'The plan', content: json(answer, 'output') },
  '400': problemResponse('Malformed query'),
});

export const planning: Resource<BusinessCalendar> = {
  service: (deps) => deps.calendar,
  endpoints: [
    endpoint({
      method: 'get',
      path: '/v1/planning/card-delivery',
      operationId: 'planCardDelivery',
      summary: 'Ship and delivery days (post) or pickup window and hold end (pickup)',
      query: cardDeliveryQuery,
      responses: answers(cardDeliveryPlan),
      handle: ({ query: q }, res, calendar) => {
        const approvedAt = new Date(q.approvedAt);
        if (q.method === 'post') return res.json(calendar.postPlan(approvedAt, q.destination));
        const plan = calendar.pickupPlan(approvedAt, q.method === 'urgent-pickup');
        const local = (d: Date) => calendar.toLocalIso(d);
        res.json({ pickupFrom: local(plan.pickupFrom), pickupUntil: local(plan.pickupUntil), holdUntil: local(plan.holdUntil) });
      },
    }),
    endpoint({
      method: 'get',
      path: '/v1/planning/licence-warning',
      operationId: 'planLicenceWarning',
      summary: 'When the licence warning goes out and the cards are blocked',
      query: licenceWarningQuery,
      responses: answers(licenceWarningPlan),
      handle: ({ query }, res, calendar) => {
        const plan = calendar.licencePlan(query.expiresOn);
        res.json({ warnAt: calendar.toLocalIso(plan.warnAt), blockAt: calendar.toLocalIso(plan.blockAt) });
      },
    }),
    endpoint({
      method: 'get',
      path: '/v1/planning/contract-due',
      operationId: 'planContractDue',
      summary: 'When a contract decision is due (24 working hours)',
      query: contractDueQuery,
      responses: answers(contractDuePlan),
      handle: ({ query }, res, calendar) => res.json({ dueAt: calendar.toLocalIso(calendar.contractDueAt(new Date(query.submittedAt))) }),
    }),
    endpoint({
      method: 'get',
      path: '/v1/planning/digest-dates',
      operationId: 'planDigestDates',
      summary: "The year's 12 digest instants (first Wednesday, 08:00)",
      query: digestDatesQuery,
      responses: answers(digestDatesPlan),
      handle: ({ query }, res, calendar) => res.json({ dates: calendar.digestDates(query.year).map((d) => calendar.toLocalIso(d)) }),
    }),
  ],
};
