/** /v1/cases/{workflowId} and /v1/companies/{companyId}/cases: case lookup for the back-office and customer service. */
import { json, problemResponse } from '../openapi-helpers';
import { endpointsFor } from '../operations';
import { caseIdParam, caseView, companyCases, companyCasesQuery, companyIdParam, updateOutcome, updateOutcomeParams, updatePending } from '../schemas/cases';
import { createCaseService } from '../services/cases';
import type { Resource } from '.';

type Service = ReturnType<typeof createCaseService>;
const endpoint = endpointsFor<Service>();

export const cases: Resource<Service> = {
  service: createCaseService,
  endpoints: [
    endpoint({
      method: 'get',
      path: '/v1/cases/{workflowId}',
      operationId: 'getCase',
      summary: 'A case by its workflow ID: status, phase, next due time, SLA, summary and what it waits for now',
      params: caseIdParam,
      responses: {
        '200': { description: 'The case', content: json(caseView, 'output') },
        '400': problemResponse('Not a case ID'),
        '404': problemResponse('No such case'),
      },
      handle: async ({ params }, res, service) => res.json(await service.get(params.workflowId)),
    }),
    endpoint({
      method: 'get',
      path: '/v1/cases/{workflowId}/updates/{updateId}',
      operationId: 'getUpdateOutcome',
      summary: 'The outcome of a request answered 202 (an Update without an outcome by the deadline): its result or its refusal',
      description:
        'Waits for the outcome up to the API\'s Temporal deadline; still none: 202 again. A refusal is answered as the ' +
        'original request would have been (404, 409, 410, 422 with the same problem).',
      params: updateOutcomeParams,
      responses: {
        '200': { description: 'The result', content: json(updateOutcome, 'output') },
        '202': { description: 'Still no outcome; read again', content: json(updatePending, 'output') },
        '404': problemResponse('No such case or update'),
        '409': problemResponse('The Update was refused (conflict)'),
        '410': problemResponse('The Update was refused (gone)'),
        '422': problemResponse('The Update was refused (business rule)'),
      },
      handle: async ({ params }, res, service) => res.json(await service.updateOutcome(params.workflowId, params.updateId)),
    }),
    endpoint({
      method: 'get',
      path: '/v1/companies/{companyId}/cases',
      operationId: 'listCompanyCases',
      summary: 'Every case of a company (contract, card applications, holds, cards, licence watch), newest first',
      params: companyIdParam,
      query: companyCasesQuery,
      responses: {
        '200': { description: 'The cases', content: json(companyCases, 'output') },
        '400': problemResponse('Malformed company ID or filter'),
      },
      handle: async ({ params, query }, res, service) => res.json(await service.ofCompany(params.companyId, query)),
    }),
  ],
};
