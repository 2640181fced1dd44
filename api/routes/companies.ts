/** /v1/companies: register a company (starts contract approval), read it, decide its contract. */
import { Router } from 'express';
import { json, pathParams, problemResponse } from '../openapi-helpers';
import { parse } from '../validation';
import { companyIdParam, companyNameChangeBody, companyView, contractDecisionBody, decisionResult, registerCompanyBody } from '../schemas/companies';
import type { createCompanyService } from '../services/companies';

export function companiesRouter(service: ReturnType<typeof createCompanyService>): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const company = await service.register(parse(registerCompanyBody, req.body));
    res.status(201).location(`/v1/companies/${company.companyId}`).json(company);
  });

  router.get('/:companyId', async (req, res) => {
    const { companyId } = parse(companyIdParam, req.params, 'path');
    res.json(await service.get(companyId));
  });

  router.patch('/:companyId', async (req, res) => {
    const { companyId } = parse(companyIdParam, req.params, 'path');
    res.json(await service.rename(companyId, parse(companyNameChangeBody, req.body)));
  });

  router.post('/:companyId/decision', async (req, res) => {
    const { companyId } = parse(companyIdParam, req.params, 'path');
    const decision = parse(contractDecisionBody, req.body);
    res.json(await service.decide(companyId, decision));
  });

  return router;
}

/** The OpenAPI paths of this resource, from the same schemas that validate it. */
export const companiesPaths = {
  '/v1/companies': {
    post: {
      operationId: 'registerCompany',
      summary: 'Register a company; starts its contract approval (decision due within 24 working hours)',
      requestBody: { required: true, content: json(registerCompanyBody, 'input') },
      responses: {
        '201': { description: 'Registered; the contract waits for the back-office decision', content: json(companyView, 'output') },
        '400': problemResponse('Malformed input, with the fields that are wrong'),
        '409': problemResponse('A registration with this KvK number and VAT ID exists'),
        '422': problemResponse('A rule of the process is broken (e.g. CargoCards without a valid licence)'),
      },
    },
  },
  '/v1/companies/{companyId}': {
    get: {
      operationId: 'getCompany',
      summary: 'A company and the state of its contract',
      parameters: pathParams(companyIdParam),
      responses: {
        '200': { description: 'The company', content: json(companyView, 'output') },
        '400': problemResponse('Malformed company ID'),
        '404': problemResponse('Unknown company'),
      },
    },
    patch: {
      operationId: 'renameCompany',
      summary: "Change the company's name (audited); a changed KvK number or VAT ID needs a new registration instead",
      parameters: pathParams(companyIdParam),
      requestBody: { required: true, content: json(companyNameChangeBody, 'input') },
      responses: {
        '200': { description: 'The company with its new name', content: json(companyView, 'output') },
        '400': problemResponse('Malformed input (only companyName and changedBy may be sent)'),
        '404': problemResponse('Unknown company'),
      },
    },
  },
  '/v1/companies/{companyId}/decision': {
    post: {
      operationId: 'decideContract',
      summary: 'Approve or reject the contract (once); late decisions after an SLA breach are accepted',
      parameters: pathParams(companyIdParam),
      requestBody: { required: true, content: json(contractDecisionBody, 'input') },
      responses: {
        '200': { description: 'Decided; the company is emailed', content: json(decisionResult, 'output') },
        '400': problemResponse('Malformed decision'),
        '404': problemResponse('Unknown company'),
        '409': problemResponse('The contract was already decided'),
      },
    },
  },
};
