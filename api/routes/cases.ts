/** /v1/cases/:workflowId and /v1/companies/:companyId/cases: case lookup for the back-office and customer service. */
import { Router } from 'express';
import { json, pathParams, problemResponse, queryParams } from '../openapi-helpers';
import { parse } from '../validation';
import { caseIdParam, caseView, companyCases, companyCasesQuery, companyIdParam } from '../schemas/cases';
import type { createCaseService } from '../services/cases';

export function casesRouter(service: ReturnType<typeof createCaseService>): Router {
  const router = Router();

  router.get('/cases/:workflowId', async (req, res) => {
    const { workflowId } = parse(caseIdParam, req.params, 'path');
    res.json(await service.get(workflowId));
  });

  router.get('/companies/:companyId/cases', async (req, res) => {
    const { companyId } = parse(companyIdParam, req.params, 'path');
    res.json(await service.ofCompany(companyId, parse(companyCasesQuery, req.query, 'query')));
  });

  return router;
}

/** The OpenAPI paths of this resource, from the same schemas that validate it. */
export const casesPaths = {
  '/v1/cases/{workflowId}': {
    get: {
      operationId: 'getCase',
      summary: 'A case by its workflow ID: status, phase, next due time, SLA, summary and what it waits for now',
      parameters: pathParams(caseIdParam),
      responses: {
        '200': { description: 'The case', content: json(caseView, 'output') },
        '400': problemResponse('Not a case ID'),
        '404': problemResponse('No such case'),
      },
    },
  },
  '/v1/companies/{companyId}/cases': {
    get: {
      operationId: 'listCompanyCases',
      summary: 'Every case of a company (contract, card applications, holds, cards, licence watch), newest first',
      parameters: [...pathParams(companyIdParam), ...queryParams(companyCasesQuery)],
      responses: {
        '200': { description: 'The cases', content: json(companyCases, 'output') },
        '400': problemResponse('Malformed company ID or filter'),
      },
    },
  },
};
