/** /v1/cards/:cardNumber: a card in use; block it at a chosen day (or cancel that), renew it, report it lost. */
import { Router } from 'express';
import { json, pathParams, problemResponse } from '../openapi-helpers';
import { parse } from '../validation';
import { blockResult, cardNumberParam, cardView, lossBody, lossResult, renewalBody, replacementView, scheduleBlockBody } from '../schemas/cards-in-use';
import type { createCardService } from '../services/cards';

export function cardsRouter(service: ReturnType<typeof createCardService>): Router {
  const router = Router();
  const cardNumber = (params: unknown) => parse(cardNumberParam, params, 'path').cardNumber;

  router.get('/:cardNumber', async (req, res) => {
    res.json(await service.get(cardNumber(req.params)));
  });

  router.post('/:cardNumber/block', async (req, res) => {
    const n = cardNumber(req.params);
    res.json(await service.scheduleBlock(n, parse(scheduleBlockBody, req.body)));
  });

  router.delete('/:cardNumber/block', async (req, res) => {
    res.json(await service.cancelBlock(cardNumber(req.params)));
  });

  router.post('/:cardNumber/renewal', async (req, res) => {
    const n = cardNumber(req.params);
    const replacement = await service.renew(n, parse(renewalBody, req.body));
    res.status(201).location(`/v1/card-applications/${replacement.applicationId}`).json(replacement);
  });

  router.post('/:cardNumber/loss', async (req, res) => {
    const n = cardNumber(req.params);
    const result = await service.reportLost(n, parse(lossBody, req.body));
    res.status(201).location(`/v1/card-applications/${result.replacement.applicationId}`).json(result);
  });

  return router;
}

const notInUse = problemResponse('The card is blocked, expired or not yet in use, or the request conflicts with its state (e.g. a block already scheduled)');

/** The OpenAPI paths of this resource, from the same schemas that validate it. */
export const cardsPaths = {
  '/v1/cards/{cardNumber}': {
    get: {
      operationId: 'getCard',
      summary: 'A card: its status, expiry and renewal window, a scheduled block',
      parameters: pathParams(cardNumberParam),
      responses: {
        '200': { description: 'The card', content: json(cardView, 'output') },
        '400': problemResponse('Malformed card number'),
        '404': problemResponse('Unknown card'),
      },
    },
  },
  '/v1/cards/{cardNumber}/block': {
    post: {
      operationId: 'scheduleCardBlock',
      summary: 'Block the card at 00:00 of a chosen day (today: at once), with a reason',
      parameters: pathParams(cardNumberParam),
      requestBody: { required: true, content: json(scheduleBlockBody, 'input') },
      responses: {
        '200': { description: 'Scheduled (cancellable until it takes effect), or blocked at once', content: json(blockResult, 'output') },
        '400': problemResponse('Malformed request'),
        '404': problemResponse('Unknown card'),
        '409': notInUse,
        '422': problemResponse('The day is in the past or after the card expires'),
      },
    },
    delete: {
      operationId: 'cancelCardBlock',
      summary: 'Cancel the scheduled block before it takes effect',
      parameters: pathParams(cardNumberParam),
      responses: {
        '200': { description: 'The cancelled block', content: json(blockResult.shape.block, 'output') },
        '400': problemResponse('Malformed card number'),
        '404': problemResponse('Unknown card'),
        '409': problemResponse('No block is scheduled, or the card is blocked already'),
      },
    },
  },
  '/v1/cards/{cardNumber}/renewal': {
    post: {
      operationId: 'renewCard',
      summary: 'Renew the card inside its renewal window (default 6 weeks before expiry): starts the application of the new card',
      parameters: pathParams(cardNumberParam),
      requestBody: { required: true, content: json(renewalBody, 'input') },
      responses: {
        '201': { description: 'The renewal application was started', content: json(replacementView, 'output') },
        '400': problemResponse('Malformed request'),
        '404': problemResponse('Unknown card'),
        '409': notInUse,
        '422': problemResponse('The renewal window has not opened, or the card has expired (request a new card)'),
      },
    },
  },
  '/v1/cards/{cardNumber}/loss': {
    post: {
      operationId: 'reportCardLost',
      summary: 'Report the card lost: a replacement application is started first, then the card is blocked at once',
      parameters: pathParams(cardNumberParam),
      requestBody: { required: true, content: json(lossBody, 'input') },
      responses: {
        '201': { description: 'Replaced and blocked', content: json(lossResult, 'output') },
        '400': problemResponse('Malformed request'),
        '404': problemResponse('Unknown card'),
        '409': notInUse,
        '422': problemResponse('The card has expired'),
      },
    },
  },
};
