/** /v1/card-users: register a card user (XS-ID) for a company with an approved contract, read one. */
import { Router } from 'express';
import { json, pathParams, problemResponse } from '../openapi-helpers';
import { parse } from '../validation';
import { cardUserView, registerCardUserBody, xsIdParam } from '../schemas/cards';
import type { createCardUserService } from '../services/card-users';

export function cardUsersRouter(service: ReturnType<typeof createCardUserService>): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const user = await service.register(parse(registerCardUserBody, req.body));
    res.status(201).location(`/v1/card-users/${user.xsId}`).json(user);
  });

  router.get('/:xsId', async (req, res) => {
    const { xsId } = parse(xsIdParam, req.params, 'path');
    res.json(await service.get(xsId));
  });

  return router;
}

/** The OpenAPI paths of this resource, from the same schemas that validate it. */
export const cardUsersPaths = {
  '/v1/card-users': {
    post: {
      operationId: 'registerCardUser',
      summary: 'Register a card user (XS-ID) with a valid passport, ID card or residence permit',
      requestBody: { required: true, content: json(registerCardUserBody, 'input') },
      responses: {
        '201': { description: 'Registered', content: json(cardUserView, 'output') },
        '400': problemResponse('Malformed input, e.g. a driving licence as identity document'),
        '422': problemResponse('Unknown company, contract not approved, or an expired identity document'),
      },
    },
  },
  '/v1/card-users/{xsId}': {
    get: {
      operationId: 'getCardUser',
      summary: 'A card user',
      parameters: pathParams(xsIdParam),
      responses: {
        '200': { description: 'The card user', content: json(cardUserView, 'output') },
        '400': problemResponse('Malformed XS-ID'),
        '404': problemResponse('Unknown card user'),
      },
    },
  },
};
