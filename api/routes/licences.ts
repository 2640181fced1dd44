/**
 * /v1/companies/:companyId/transport-licence (renewal, NIWO bridging period,
 * the watch's state) and /v1/companies/:companyId/licence-watch (start it).
 */
import { Router } from 'express';
import { json, pathParams, problemResponse } from '../openapi-helpers';
import { parse } from '../validation';
import { companyIdParam } from '../schemas/companies';
import { bridgingBody, licencePlan, licenceRenewalBody, licenceState, watchStarted } from '../schemas/licences';
import type { createLicenceService } from '../services/licences';

export function licencesRouter(service: ReturnType<typeof createLicenceService>): Router {
  // Mounted at /v1/companies/:companyId: the company ID comes from the mount path.
  const router = Router({ mergeParams: true });
  const companyId = (params: unknown) => parse(companyIdParam, params, 'path').companyId;

  router.post('/licence-watch', async (req, res) => {
    const started = await service.ensureLicenceWatch(companyId(req.params));
    res.status(started.started ? 201 : 200).json(started);
  });

  router.get('/transport-licence', async (req, res) => {
    res.json(await service.get(companyId(req.params)));
  });

  router.post('/transport-licence', async (req, res) => {
    const id = companyId(req.params);
    res.json(await service.renew(id, parse(licenceRenewalBody, req.body)));
  });

  router.post('/transport-licence/bridging', async (req, res) => {
    const id = companyId(req.params);
    res.json(await service.registerBridging(id, parse(bridgingBody, req.body)));
  });

  return router;
}

const noWatch = problemResponse('No licence watch runs for the company, or the licence expired already (cards blocked, contract terminated)');

/** The OpenAPI paths of this resource, from the same schemas that validate it. */
export const licencesPaths = {
  '/v1/companies/{companyId}/licence-watch': {
    post: {
      operationId: 'startLicenceWatch',
      summary: 'Start the transport-licence watch of an approved company with CargoCards (idempotent)',
      parameters: pathParams(companyIdParam),
      responses: {
        '201': { description: 'Started', content: json(watchStarted, 'output') },
        '200': { description: 'It was running already', content: json(watchStarted, 'output') },
        '400': problemResponse('Malformed company ID'),
        '404': problemResponse('Unknown company'),
        '409': problemResponse('The contract is not approved'),
        '422': problemResponse('The company requests no CargoCards or has no transport licence'),
      },
    },
  },
  '/v1/companies/{companyId}/transport-licence': {
    get: {
      operationId: 'getTransportLicence',
      summary: 'The licence, its effective expiry, and when the warning and the block are due',
      parameters: pathParams(companyIdParam),
      responses: {
        '200': { description: 'The licence watch', content: json(licenceState, 'output') },
        '400': problemResponse('Malformed company ID'),
        '404': problemResponse('Unknown company, or no licence is watched'),
      },
    },
    post: {
      operationId: 'renewTransportLicence',
      summary: 'Record a renewed licence (number, expiry, document); the watch re-plans its warning and block',
      parameters: pathParams(companyIdParam),
      requestBody: { required: true, content: json(licenceRenewalBody, 'input') },
      responses: {
        '200': { description: 'Recorded: the new plan', content: json(licencePlan, 'output') },
        '400': problemResponse('Malformed request'),
        '404': problemResponse('Unknown company'),
        '409': noWatch,
        '422': problemResponse('The new expiry is not after the current one, or in the past'),
      },
    },
  },
  '/v1/companies/{companyId}/transport-licence/bridging': {
    post: {
      operationId: 'registerLicenceBridging',
      summary: 'Record a NIWO bridging period (proof, end day): the effective expiry moves to its end',
      parameters: pathParams(companyIdParam),
      requestBody: { required: true, content: json(bridgingBody, 'input') },
      responses: {
        '200': { description: 'Recorded: the new plan', content: json(licencePlan, 'output') },
        '400': problemResponse('Malformed request'),
        '404': problemResponse('Unknown company'),
        '409': noWatch,
        '422': problemResponse('The bridging period does not end after the licence expiry'),
      },
    },
  },
};
