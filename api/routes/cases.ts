/** /v1/cases/{workflowId} and /v1/companies/{companyId}/cases: case lookup for the back-office and customer service. */
import { json, problemResponse } from '../openapi-helpers';
import { endpointsFor } from '../operations';
import { caseIdParam, caseView, companyCases, companyCasesQuery, companyIdParam } from '../schemas/cases';
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
