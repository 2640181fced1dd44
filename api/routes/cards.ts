/** /v1/cards/{cardNumber}: a card in use; block it at a chosen day (or cancel that), renew it, report it lost. */
import { json, problemResponse } from '../openapi-helpers';
import { endpointsFor } from '../operations';
import { blockResult, cardNumberParam, cardView, lossBody, lossResult, renewalBody, replacementView, scheduleBlockBody } from '../schemas/cards-in-use';
import { createCardService } from '../services/cards';
import type { Resource } from '.';

type Service = ReturnType<typeof createCardService>;
const endpoint = endpointsFor<Service>();

const notInUse = problemResponse('The card is blocked, expired or not yet in use, or the request conflicts with its state (e.g. a block already scheduled)');

export const cards: Resource<Service> = {
  service: createCardService,
  endpoints: [
    endpoint({
      method: 'get',
      path: '/v1/cards/{cardNumber}',
      operationId: 'getCard',
      summary: 'A card: its status, expiry and renewal window, a scheduled block',
      params: cardNumberParam,
      responses: {
        '200': { description: 'The card', content: json(cardView, 'output') },
        '400': problemResponse('Malformed card number'),
        '404': problemResponse('Unknown card'),
      },
      handle: async ({ params }, res, service) => res.json(await service.get(params.cardNumber)),
    }),
    endpoint({
      method: 'post',
      path: '/v1/cards/{cardNumber}/block',
      operationId: 'scheduleCardBlock',
      sendsUpdate: true,
      summary: 'Block the card at 00:00 of a chosen day (today: at once), with a reason',
      params: cardNumberParam,
      body: scheduleBlockBody,
      responses: {
        '200': { description: 'Scheduled (cancellable until it takes effect), or blocked at once', content: json(blockResult, 'output') },
        '400': problemResponse('Malformed request'),
        '404': problemResponse('Unknown card'),
        '409': notInUse,
        '422': problemResponse('The day is in the past or after the card expires'),
      },
      handle: async ({ params, body }, res, service) => res.json(await service.scheduleBlock(params.cardNumber, body)),
    }),
    endpoint({
      method: 'delete',
      path: '/v1/cards/{cardNumber}/block',
      operationId: 'cancelCardBlock',
      sendsUpdate: true,
      summary: 'Cancel the scheduled block before it takes effect',
      params: cardNumberParam,
      responses: {
        '200': { description: 'The cancelled block', content: json(blockResult.shape.block, 'output') },
        '400': problemResponse('Malformed card number'),
        '404': problemResponse('Unknown card'),
        '409': problemResponse('No block is scheduled, or the card is blocked already'),
      },
      handle: async ({ params }, res, service) => res.json(await service.cancelBlock(params.cardNumber)),
    }),
    endpoint({
      method: 'post',
      path: '/v1/cards/{cardNumber}/renewal',
      operationId: 'renewCard',
      sendsUpdate: true,
      summary: 'Renew the card inside its renewal window (default 6 weeks before expiry): starts the application of the new card',
      params: cardNumberParam,
      body: renewalBody,
      responses: {
        '201': { description: 'The renewal application was started', content: json(replacementView, 'output') },
        '400': problemResponse('Malformed request'),
        '404': problemResponse('Unknown card'),
        '409': notInUse,
        '422': problemResponse('The renewal window has not opened, or the card has expired (request a new card)'),
      },
      handle: async ({ params, body }, res, service) => {
        const replacement = await service.renew(params.cardNumber, body);
        res.status(201).location(`/v1/card-applications/${replacement.applicationId}`).json(replacement);
      },
    }),
    endpoint({
      method: 'post',
      path: '/v1/cards/{cardNumber}/loss',
      operationId: 'reportCardLost',
      sendsUpdate: true,
      summary: 'Report the card lost: a replacement application is started first, then the card is blocked at once',
      params: cardNumberParam,
      body: lossBody,
      responses: {
        '201': { description: 'Replaced and blocked', content: json(lossResult, 'output') },
        '400': problemResponse('Malformed request'),
        '404': problemResponse('Unknown card'),
        '409': notInUse,
        '422': problemResponse('The card has expired'),
      },
      handle: async ({ params, body }, res, service) => {
        const result = await service.reportLost(params.cardNumber, body);
        res.status(201).location(`/v1/card-applications/${result.replacement.applicationId}`).json(result);
      },
    }),
  ],
};
