/**
 * /v1/terminals: the payment terminals whose Terminal-ID, with the customer
 * number, proves a portal user's customer (docs/accounts-terminals.md). The
 * back-office registers and retires them.
 */
import { json, problemResponse } from '../openapi-helpers';
import { endpointsFor } from '../operations';
import { registerTerminalBody, retireTerminalBody, terminalIdParam, terminalList, terminalListQuery, terminalView } from '../schemas/terminals';
import { createTerminalService } from '../services/terminals';
import type { Resource } from '.';

type Service = ReturnType<typeof createTerminalService>;
const endpoint = endpointsFor<Service>();

export const terminals: Resource<Service> = {
  service: createTerminalService,
  endpoints: [
    endpoint({
      method: 'post',
      path: '/v1/terminals',
      operationId: 'registerTerminal',
      summary: "Register a customer's payment terminal (or move a retired one to a customer)",
      body: registerTerminalBody,
      responses: {
        '201': { description: 'Registered, active', content: json(terminalView, 'output') },
        '400': problemResponse('Malformed input or unknown fields'),
        '409': problemResponse('A terminal with this ID is registered and active'),
        '422': problemResponse('The customer number is not that of a company with an approved contract'),
      },
      handle: async ({ body }, res, service) => {
        const terminal = await service.register(body);
        res.status(201).location(`/v1/terminals/${terminal.terminalId}`).json(terminal);
      },
    }),
    endpoint({
      method: 'get',
      path: '/v1/terminals',
      operationId: 'listTerminals',
      summary: 'The terminals of a customer number, active and retired',
      query: terminalListQuery,
      responses: { '200': { description: 'The terminals', content: json(terminalList, 'output') }, '400': problemResponse('Malformed query') },
      handle: async ({ query }, res, service) => res.json(await service.list(query.customerNumber)),
    }),
    endpoint({
      method: 'get',
      path: '/v1/terminals/{terminalId}',
      operationId: 'getTerminal',
      summary: 'A terminal and its master data',
      params: terminalIdParam,
      responses: {
        '200': { description: 'The terminal', content: json(terminalView, 'output') },
        '400': problemResponse('Malformed Terminal-ID'),
        '404': problemResponse('Unknown terminal'),
      },
      handle: async ({ params }, res, service) => res.json(await service.get(params.terminalId)),
    }),
    endpoint({
      method: 'post',
      path: '/v1/terminals/{terminalId}/retire',
      operationId: 'retireTerminal',
      summary: 'Retire a terminal: it no longer proves its customer number (registration, adding a customer number)',
      params: terminalIdParam,
      body: retireTerminalBody,
      responses: {
        '200': { description: 'Retired', content: json(terminalView, 'output') },
        '400': problemResponse('Malformed input'),
        '404': problemResponse('Unknown terminal'),
        '409': problemResponse('The terminal is retired already'),
      },
      handle: async ({ params, body }, res, service) => res.json(await service.retire(params.terminalId, body)),
    }),
  ],
};
