/**
 * /v1/companies/{companyId}/transport-licence (renewal, NIWO bridging period,
 * the watch's state) and /v1/companies/{companyId}/licence-watch (start it).
 */
import { json, problemResponse } from '../openapi-helpers';
import { endpointsFor } from '../operations';
import { companyIdParam } from '../schemas/companies';
import { bridgingBody, licencePlan, licenceRenewalBody, licenceState, watchStarted } from '../schemas/licences';
import { createLicenceService } from '../services/licences';
import type { Resource } from '.';

type Service = ReturnType<typeof createLicenceService>;
const endpoint = endpointsFor<Service>();

const noWatch = problemResponse('No licence watch runs for the company, or the licence expired already (cards blocked, contract terminated)');

export const licences: Resource<Service> = {
  service: createLicenceService,
  endpoints: [
    endpoint({
      method: 'post',
      path: '/v1/companies/{companyId}/licence-watch',
      operationId: 'startLicenceWatch',
      summary: 'Start the transport-licence watch of an approved company with CargoCards (idempotent)',
      params: companyIdParam,
      responses: {
        '201': { description: 'Started', content: json(watchStarted, 'output') },
        '200': { description: 'It was running already', content: json(watchStarted, 'output') },
        '400': problemResponse('Malformed company ID'),
        '404': problemResponse('Unknown company'),
        '409': problemResponse('The contract is not approved'),
        '422': problemResponse('The company requests no CargoCards or has no transport licence'),
      },
      handle: async ({ params }, res, service) => {
        const started = await service.ensureLicenceWatch(params.companyId);
        res.status(started.started ? 201 : 200).json(started);
      },
    }),
    endpoint({
      method: 'get',
      path: '/v1/companies/{companyId}/transport-licence',
      operationId: 'getTransportLicence',
      summary: 'The licence, its effective expiry, and when the warning and the block are due',
      params: companyIdParam,
      responses: {
        '200': { description: 'The licence watch', content: json(licenceState, 'output') },
        '400': problemResponse('Malformed company ID'),
        '404': problemResponse('Unknown company, or no licence is watched'),
      },
      handle: async ({ params }, res, service) => res.json(await service.get(params.companyId)),
    }),
    endpoint({
      method: 'post',
      path: '/v1/companies/{companyId}/transport-licence',
      operationId: 'renewTransportLicence',
      sendsUpdate: true,
      summary: 'Record a renewed licence (number, expiry, document); the watch re-plans its warning and block',
      params: companyIdParam,
      body: licenceRenewalBody,
      responses: {
        '200': { description: 'Recorded: the new plan', content: json(licencePlan, 'output') },
        '400': problemResponse('Malformed request'),
        '404': problemResponse('Unknown company'),
        '409': noWatch,
        '422': problemResponse('The new expiry is not after the current one, or in the past'),
      },
      handle: async ({ params, body }, res, service) => res.json(await service.renew(params.companyId, body)),
    }),
    endpoint({
      method: 'post',
      path: '/v1/companies/{companyId}/transport-licence/bridging',
      operationId: 'registerLicenceBridging',
      sendsUpdate: true,
      summary: 'Record a NIWO bridging period (proof, end day): the effective expiry moves to its end',
      params: companyIdParam,
      body: bridgingBody,
      responses: {
        '200': { description: 'Recorded: the new plan', content: json(licencePlan, 'output') },
        '400': problemResponse('Malformed request'),
        '404': problemResponse('Unknown company'),
        '409': noWatch,
        '422': problemResponse('The bridging period does not end after the licence expiry'),
      },
      handle: async ({ params, body }, res, service) => res.json(await service.registerBridging(params.companyId, body)),
    }),
  ],
};
