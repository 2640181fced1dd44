/**
 * /v1/card-applications: apply for a card (starts the card-application
 * workflow), read it, and steer it: approvals, conversion to urgent, a named
 * collector, the pickup and the activation.
 */
import type { z } from 'zod';
import { json, problemResponse } from '../openapi-helpers';
import { endpointsFor, type Endpoint } from '../operations';
import {
  activationBody,
  applicationIdParam,
  applyForCardBody,
  approvalBody,
  cardApplicationView,
  collectorBody,
  conversionBody,
  newPinBody,
  pickupBody,
  updateResult,
} from '../schemas/cards';
import { createCardApplicationService } from '../services/card-applications';
import { MAX_PIN_ATTEMPTS } from '../../workflows/definitions';
import type { Resource } from '.';

type Service = ReturnType<typeof createCardApplicationService>;
const endpoint = endpointsFor<Service>();

/** A step of the application: POST /v1/card-applications/{applicationId}/<step> with a body, answered by an update result. */
function action<B extends z.ZodType>(a: {
  step: string;
  operationId: string;
  summary: string;
  body: B;
  bodyOptional?: boolean;
  conflicts: string;
  extra?: Record<string, unknown>;
  run: (service: Service, applicationId: string, body: z.output<B>) => Promise<unknown>;
}): Endpoint<Service> {
  return endpoint({
    method: 'post',
    path: `/v1/card-applications/{applicationId}/${a.step}`,
    operationId: a.operationId,
    sendsUpdate: true,
    summary: a.summary,
    params: applicationIdParam,
    body: a.body,
    bodyOptional: a.bodyOptional ?? false,
    responses: {
      '200': { description: 'Done', content: json(updateResult, 'output') },
      '400': problemResponse('Malformed input'),
      '404': problemResponse('Unknown application'),
      '409': problemResponse(`${a.conflicts}; or the application was cancelled (the answer says when and why)`),
      ...a.extra,
    },
    handle: async ({ params, body }, res, service) => res.json(await a.run(service, params.applicationId, body as z.output<B>)),
  });
}

export const cardApplications: Resource<Service> = {
  service: createCardApplicationService,
  endpoints: [
    endpoint({
      method: 'post',
      path: '/v1/card-applications',
      operationId: 'applyForCard',
      summary: 'Apply for a card; starts the card-application workflow (confirmation email to the company contact)',
      body: applyForCardBody,
      responses: {
        '201': { description: 'Received; waits for the approvals of the card user and the back-office', content: json(cardApplicationView, 'output') },
        '200': { description: 'This applicationId was used before: the existing application', content: json(cardApplicationView, 'output') },
        '400': problemResponse('Malformed input, with the fields that are wrong'),
        '409': problemResponse('The applicationId belongs to a different application'),
        '422': problemResponse('Contract not approved, card user unknown or without a valid document, CargoCard without a valid licence'),
      },
      handle: async ({ body }, res, service) => {
        const { created, application } = await service.apply(body);
        res.status(created ? 201 : 200).location(`/v1/card-applications/${application.applicationId}`).json(application);
      },
    }),
    endpoint({
      method: 'get',
      path: '/v1/card-applications/{applicationId}',
      operationId: 'getCardApplication',
      summary: 'An application: its record and the live state of its workflow',
      params: applicationIdParam,
      responses: {
        '200': { description: 'The application', content: json(cardApplicationView, 'output') },
        '400': problemResponse('Malformed application ID'),
        '404': problemResponse('Unknown application'),
      },
      handle: async ({ params }, res, service) => res.json(await service.get(params.applicationId)),
    }),
    action({
      step: 'approvals',
      operationId: 'approveCardApplication',
      summary: 'Approve for the card user, the back-office, or (urgent) as checked at the service point; both approvals make it approved for production',
      body: approvalBody,
      conflicts: 'This party already approved, or approvals are closed',
      extra: { '422': problemResponse('A service-point check of an application that is not urgent') },
      run: (service, id, body) => service.approve(id, body),
    }),
    action({
      step: 'convert-to-urgent',
      operationId: 'convertCardApplicationToUrgent',
      summary: 'Convert to urgent pickup (until the card is produced); the delivery plan is recomputed',
      body: conversionBody,
      bodyOptional: true,
      conflicts: 'Already urgent, or the card was already produced',
      run: (service, id, body) => service.convertToUrgent(id, body),
    }),
    action({
      step: 'collector',
      operationId: 'nameCardCollector',
      summary: 'Name, in advance, someone else who may collect the card',
      body: collectorBody,
      conflicts: 'The card was already collected or shipped',
      extra: { '422': problemResponse('The card is sent by post') },
      run: (service, id, body) => service.nameCollector(id, body),
    }),
    action({
      step: 'pickup',
      operationId: 'recordCardPickup',
      summary: 'Record that the card user or the named collector collected the card (ends the pickup hold)',
      body: pickupBody,
      conflicts: 'The card is not (yet, or no longer) held for pickup',
      extra: { '422': problemResponse('Neither the card user nor the named collector') },
      run: (service, id, body) => service.recordPickup(id, body),
    }),
    action({
      step: 'activation',
      operationId: 'activateCard',
      summary: 'Activate the collected or shipped card with its PIN; valid 5 years, then in use (cardInUse workflow)',
      body: activationBody,
      conflicts: `Not yet collected or shipped, already active, or locked after ${MAX_PIN_ATTEMPTS} wrong PINs (refused without checking; customer service issues a new PIN)`,
      extra: { '422': problemResponse(`Wrong PIN code (the answer says how many attempts are left; the ${MAX_PIN_ATTEMPTS}th locks activation)`) },
      run: (service, id, body) => service.activate(id, body),
    }),
    action({
      step: 'pin',
      operationId: 'issueNewCardPin',
      summary: `Issue a new PIN (customer service): mailed to the company contact like the first; the old PIN stops working, and an activation locked after ${MAX_PIN_ATTEMPTS} wrong PINs is unlocked`,
      body: newPinBody,
      conflicts: 'No card produced yet, already activated, or an activation or a new PIN in progress',
      run: (service, id, body) => service.issueNewPin(id, body),
    }),
  ],
};
