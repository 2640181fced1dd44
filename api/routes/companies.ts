/** /v1/companies: register a company (starts contract approval), read it, decide its contract. */
import { json, problemResponse } from '../openapi-helpers';
import { endpointsFor } from '../operations';
import { companyIdParam, companyNameChangeBody, companyView, contractDecisionBody, decisionResult, registerCompanyBody } from '../schemas/companies';
import { createCompanyService } from '../services/companies';
import type { Resource } from '.';

const endpoint = endpointsFor<ReturnType<typeof createCompanyService>>();

export const companies: Resource<ReturnType<typeof createCompanyService>> = {
  service: createCompanyService,
  endpoints: [
    endpoint({
      method: 'post',
      path: '/v1/companies',
      operationId: 'registerCompany',
      summary: 'Register a company; starts its contract approval (decision due within 24 working hours)',
      body: registerCompanyBody,
      responses: {
        '201': { description: 'Registered; the contract waits for the back-office decision', content: json(companyView, 'output') },
        '400': problemResponse('Malformed input, with the fields that are wrong'),
        '409': problemResponse('A registration with this KvK number and VAT ID exists'),
        '422': problemResponse('A rule of the process is broken (e.g. CargoCards without a valid licence)'),
      },
      handle: async ({ body }, res, service) => {
        const company = await service.register(body);
        res.status(201).location(`/v1/companies/${company.companyId}`).json(company);
      },
    }),
    endpoint({
      method: 'get',
      path: '/v1/companies/{companyId}',
      operationId: 'getCompany',
      summary: 'A company and the state of its contract',
      params: companyIdParam,
      responses: {
        '200': { description: 'The company', content: json(companyView, 'output') },
        '400': problemResponse('Malformed company ID'),
        '404': problemResponse('Unknown company'),
      },
      handle: async ({ params }, res, service) => res.json(await service.get(params.companyId)),
    }),
    endpoint({
      method: 'patch',
      path: '/v1/companies/{companyId}',
      operationId: 'renameCompany',
      summary: "Change the company's name (audited); a changed KvK number or VAT ID needs a new registration instead",
      params: companyIdParam,
      body: companyNameChangeBody,
      responses: {
        '200': { description: 'The company with its new name', content: json(companyView, 'output') },
        '400': problemResponse('Malformed input (only companyName and changedBy may be sent)'),
        '404': problemResponse('Unknown company'),
      },
      handle: async ({ params, body }, res, service) => res.json(await service.rename(params.companyId, body)),
    }),
    endpoint({
      method: 'post',
      path: '/v1/companies/{companyId}/decision',
      operationId: 'decideContract',
      sendsUpdate: true,
      summary: 'Approve or reject the contract (once); late decisions after an SLA breach are accepted',
      params: companyIdParam,
      body: contractDecisionBody,
      responses: {
        '200': { description: 'Decided; the company is emailed', content: json(decisionResult, 'output') },
        '400': problemResponse('Malformed decision'),
        '404': problemResponse('Unknown company'),
        '409': problemResponse('The contract was already decided'),
      },
      handle: async ({ params, body }, res, service) => res.json(await service.decide(params.companyId, body)),
    }),
  ],
};
