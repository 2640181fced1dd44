/**
 * Every resource of the API: where it is mounted, its router and its OpenAPI
 * paths. One line per resource; app.ts and openapi.ts read this list.
 */
import type { Router } from 'express';
import type { ServiceDeps } from '../services/deps';
import { companiesPaths, companiesRouter } from './companies';
import { createCompanyService } from '../services/companies';

export interface Resource {
  mount: string;
  router: (deps: ServiceDeps) => Router;
  paths: Record<string, unknown>;
}

export const RESOURCES: Resource[] = [
  { mount: '/v1/companies', router: (deps) => companiesRouter(createCompanyService(deps)), paths: companiesPaths },
];
