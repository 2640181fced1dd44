/**
 * /v1/card-applications: apply for a card (starts the card-application
 * workflow), read it, and steer it: approvals, conversion to urgent, a named
 * collector, the pickup and the activation.
 */
import { Router } from 'express';
import { json, pathParams, problemResponse } from '../openapi-helpers';
import { parse } from '../validation';
import {
  activationBody,
  applicationIdParam,
  applyForCardBody,
  approvalBody,
  cardApplicationView,
  collectorBody,
  conversionBody,
  pickupBody,
  updateResult,
} from '../schemas/cards';
import type { createCardApplicationService } from '../services/card-applications';

export function cardApplicationsRouter(service: ReturnType<typeof createCardApplicationService>): Router {
  const router = Router();
  const id = (params: unknown) => parse(applicationIdParam, params, 'path').applicationId;

  router.post('/', async (req, res) => {
    const { created, application } = await service.apply(parse(applyForCardBody, req.body));
    res.status(created ? 201 : 200).location(`/v1/card-applications/${application.applicationId}`).json(application);
  });

  router.get('/:applicationId', async (req, res) => {
    res.json(await service.get(id(req.params)));
  });

  router.post('/:applicationId/approvals', async (req, res) => {
    const applicationId = id(req.params);
    res.json(await service.approve(applicationId, parse(approvalBody, req.body)));
  });

  router.post('/:applicationId/convert-to-urgent', async (req, res) => {
    const applicationId = id(req.params);
    res.json(await service.convertToUrgent(applicationId, parse(conversionBody, req.body ?? {})));
  });

  router.post('/:applicationId/collector', async (req, res) => {
    const applicationId = id(req.params);
    res.json(await service.nameCollector(applicationId, parse(collectorBody, req.body)));
  });

  router.post('/:applicationId/pickup', async (req, res) => {
    const applicationId = id(req.params);
    res.json(await service.recordPickup(applicationId, parse(pickupBody, req.body)));
  });

  router.post('/:applicationId/activation', async (req, res) => {
    const applicationId = id(req.params);
    res.json(await service.activate(applicationId, parse(activationBody, req.body)));
  });

  return router;
}

const action = (operationId: string, summary: string, body: Parameters<typeof json>[0], conflicts: string, extra: Record<string, unknown> = {}) => ({
  post: {
    operationId,
    summary,
    parameters: pathParams(applicationIdParam),
    requestBody: { required: true, content: json(body, 'input') },
    responses: {
      '200': { description: 'Done', content: json(updateResult, 'output') },
      '400': problemResponse('Malformed input'),
      '404': problemResponse('Unknown application'),
      '409': problemResponse(conflicts),
      ...extra,
    },
  },
});

/** The OpenAPI paths of this resource, from the same schemas that validate it. */
export const cardApplicationsPaths = {
  '/v1/card-applications': {
    post: {
      operationId: 'applyForCard',
      summary: 'Apply for a card; starts the card-application workflow (confirmation email to the company contact)',
      requestBody: { required: true, content: json(applyForCardBody, 'input') },
      responses: {
        '201': { description: 'Received; waits for the approvals of the card user and the back-office', content: json(cardApplicationView, 'output') },
        '200': { description: 'This applicationId was used before: the existing application', content: json(cardApplicationView, 'output') },
        '400': problemResponse('Malformed input, with the fields that are wrong'),
        '409': problemResponse('The applicationId belongs to a different application'),
        '422': problemResponse('Contract not approved, card user unknown or without a valid document, CargoCard without a valid licence'),
      },
    },
  },
  '/v1/card-applications/{applicationId}': {
    get: {
      operationId: 'getCardApplication',
      summary: 'An application: its record and the live state of its workflow',
      parameters: pathParams(applicationIdParam),
      responses: {
        '200': { description: 'The application', content: json(cardApplicationView, 'output') },
        '400': problemResponse('Malformed application ID'),
        '404': problemResponse('Unknown application'),
      },
    },
  },
  '/v1/card-applications/{applicationId}/approvals': action(
    'approveCardApplication',
    'Approve for the card user, the back-office, or (urgent) as checked at the service point; both approvals make it approved for production',
    approvalBody,
    'This party already approved, or approvals are closed',
    { '422': problemResponse('A service-point check of an application that is not urgent') },
  ),
  '/v1/card-applications/{applicationId}/convert-to-urgent': action(
    'convertCardApplicationToUrgent',
    'Convert to urgent pickup (until the card is produced); the delivery plan is recomputed',
    conversionBody,
    'Already urgent, or the card was already produced',
  ),
  '/v1/card-applications/{applicationId}/collector': action(
    'nameCardCollector',
    'Name, in advance, someone else who may collect the card',
    collectorBody,
    'The card was already collected or shipped',
    { '422': problemResponse('The card is sent by post') },
  ),
  '/v1/card-applications/{applicationId}/pickup': action(
    'recordCardPickup',
    'Record that the card user or the named collector collected the card (ends the pickup hold)',
    pickupBody,
    'The card is not (yet, or no longer) held for pickup',
    { '422': problemResponse('Neither the card user nor the named collector') },
  ),
  '/v1/card-applications/{applicationId}/activation': action(
    'activateCard',
    'Activate the collected or shipped card with its PIN; valid 5 years, then in use (cardInUse workflow)',
    activationBody,
    'Not yet collected or shipped, or already active',
    { '422': problemResponse('Wrong PIN code') },
  ),
};
