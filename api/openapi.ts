/**
 * The OpenAPI 3.1 document, generated from the zod schemas that validate the
 * requests: one source of truth for the docs and the checks.
 */
import { z } from 'zod';
import { problem } from './schemas/common';
import { companyIdParam, companyView, contractDecisionBody, decisionResult, registerCompanyBody } from './schemas/companies';

type Schema = z.ZodType;

const json = (schema: Schema, io: 'input' | 'output') => ({
  'application/json': { schema: z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) },
});
const problemResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: z.toJSONSchema(problem) } } });

function pathParams(schema: z.ZodObject) {
  return Object.entries(schema.shape).map(([name, s]) => ({
    name,
    in: 'path',
    required: true,
    schema: z.toJSONSchema(s as Schema, { io: 'input' }),
  }));
}

export function buildOpenApi(serverUrl: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'XS-Key back-office API',
      version: '1.0.0',
      description:
        'Triggers and steers the long-lived processes of the XS-ID / XS-Key issuer (contract approval, card production, ' +
        'pickup hold, licence watch, digest, portal accounts). Every error is an RFC 9457 problem document.',
    },
    servers: [{ url: serverUrl }],
    paths: {
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
      '/healthz': { get: { operationId: 'healthz', summary: 'Alive', responses: { '200': { description: 'Alive' } } } },
      '/readyz': {
        get: {
          operationId: 'readyz',
          summary: 'Temporal, MongoDB and SMTP reachable',
          responses: { '200': { description: 'Ready' }, '503': { description: 'A dependency is unreachable' } },
        },
      },
    },
  };
}
