/** /v1/card-users: register a card user (XS-ID) for a company with an approved contract, read one. */
import { json, problemResponse } from '../openapi-helpers';
import { endpointsFor } from '../operations';
import { cardUserView, registerCardUserBody, xsIdParam } from '../schemas/cards';
import { createCardUserService } from '../services/card-users';
import type { Resource } from '.';

type Service = ReturnType<typeof createCardUserService>;
const endpoint = endpointsFor<Service>();

export const cardUsers: Resource<Service> = {
  service: createCardUserService,
  endpoints: [
    endpoint({
      method: 'post',
      path: '/v1/card-users',
      operationId: 'registerCardUser',
      summary: 'Register a card user (XS-ID) with a valid passport, ID card or residence permit',
      body: registerCardUserBody,
      responses: {
        '201': { description: 'Registered', content: json(cardUserView, 'output') },
        '400': problemResponse('Malformed input, e.g. a driving licence as identity document'),
        '422': problemResponse('Unknown company, contract not approved, or an expired identity document'),
      },
      handle: async ({ body }, res, service) => {
        const user = await service.register(body);
        res.status(201).location(`/v1/card-users/${user.xsId}`).json(user);
      },
    }),
    endpoint({
      method: 'get',
      path: '/v1/card-users/{xsId}',
      operationId: 'getCardUser',
      summary: 'A card user',
      params: xsIdParam,
      responses: {
        '200': { description: 'The card user', content: json(cardUserView, 'output') },
        '400': problemResponse('Malformed XS-ID'),
        '404': problemResponse('Unknown card user'),
      },
      handle: async ({ params }, res, service) => res.json(await service.get(params.xsId)),
    }),
  ],
};
