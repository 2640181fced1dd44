/**
 * /v1/planning: "when can the card user pick it up?" and the like, computed
 * by domain/calendar.ts, the same module the workflows use. No I/O.
 */
import { Router } from 'express';
import type { BusinessCalendar } from '../../domain/calendar';
import { json, problemResponse, queryParams } from '../openapi-helpers';
import { parse } from '../validation';
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

export function planningRouter(calendar: BusinessCalendar): Router {
  const router = Router();
  const local = (d: Date) => calendar.toLocalIso(d);

  router.get('/card-delivery', (req, res) => {
    const q = parse(cardDeliveryQuery, req.query, 'query');
    const approvedAt = new Date(q.approvedAt);
    if (q.method === 'post') {
      res.json(calendar.postPlan(approvedAt, q.destination));
      return;
    }
    const plan = calendar.pickupPlan(approvedAt, q.method === 'urgent-pickup');
    res.json({ pickupFrom: local(plan.pickupFrom), pickupUntil: local(plan.pickupUntil), holdUntil: local(plan.holdUntil) });
  });

  router.get('/licence-warning', (req, res) => {
    const { expiresOn } = parse(licenceWarningQuery, req.query, 'query');
    const plan = calendar.licencePlan(expiresOn);
    res.json({ warnAt: local(plan.warnAt), blockAt: local(plan.blockAt) });
  });

  router.get('/contract-due', (req, res) => {
    const { submittedAt } = parse(contractDueQuery, req.query, 'query');
    res.json({ dueAt: local(calendar.contractDueAt(new Date(submittedAt))) });
  });

  router.get('/digest-dates', (req, res) => {
    const { year } = parse(digestDatesQuery, req.query, 'query');
    res.json({ dates: calendar.digestDates(year).map(local) });
  });

  return router;
}

const get = (operationId: string, summary: string, query: Parameters<typeof queryParams>[0], answer: Parameters<typeof json>[0]) => ({
  get: {
    operationId,
    summary,
    parameters: queryParams(query),
    responses: { '200': { description: 'The plan', content: json(answer, 'output') }, '400': problemResponse('Malformed query') },
  },
});

/** The OpenAPI paths of this resource, from the same schemas that validate it. */
export const planningPaths = {
  '/v1/planning/card-delivery': get('planCardDelivery', 'Ship and delivery days (post) or pickup window and hold end (pickup)', cardDeliveryQuery, cardDeliveryPlan),
  '/v1/planning/licence-warning': get('planLicenceWarning', 'When the licence warning goes out and the cards are blocked', licenceWarningQuery, licenceWarningPlan),
  '/v1/planning/contract-due': get('planContractDue', 'When a contract decision is due (24 working hours)', contractDueQuery, contractDuePlan),
  '/v1/planning/digest-dates': get('planDigestDates', "The year's 12 digest instants (first Wednesday, 08:00)", digestDatesQuery, digestDatesPlan),
};
