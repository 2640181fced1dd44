/**
 * Every resource of the API: where it is mounted, its router and its OpenAPI
 * paths. One line per resource; app.ts and openapi.ts read this list.
 */
import type { Router } from 'express';
import type { ServiceDeps } from '../services/deps';
import { accountsPaths, accountsRouter } from './accounts';
import { cardApplicationsPaths, cardApplicationsRouter } from './card-applications';
import { cardUsersPaths, cardUsersRouter } from './card-users';
import { cardsPaths, cardsRouter } from './cards';
import { casesPaths, casesRouter } from './cases';
import { companiesPaths, companiesRouter } from './companies';
import { digestsPaths, digestsRouter } from './digests';
import { licencesPaths, licencesRouter } from './licences';
import { planningPaths, planningRouter } from './planning';
import { schedulesPaths, schedulesRouter } from './schedules';
import { createCardService } from '../services/cards';
import { createCaseService } from '../services/cases';
import { createLicenceService } from '../services/licences';
import { createAccountService } from '../services/accounts';
import { addressLimiters, DEFAULT_ACCOUNT_LIMITS } from '../services/account-limits';
import { createCardApplicationService } from '../services/card-applications';
import { createCardUserService } from '../services/card-users';
import { createCompanyService } from '../services/companies';
import { createDigestService } from '../services/digests';
import { createScheduleService } from '../services/schedules';

export interface Resource {
  mount: string;
  router: (deps: ServiceDeps) => Router;
  paths: Record<string, unknown>;
}

export const RESOURCES: Resource[] = [
  {
    mount: '/v1/accounts',
    router: (deps) =>
      accountsRouter(createAccountService(deps), addressLimiters(deps.models.PortalAccount.db, deps.accountLimits ?? DEFAULT_ACCOUNT_LIMITS)),
    paths: accountsPaths,
  },
  { mount: '/v1/companies', router: (deps) => companiesRouter(createCompanyService(deps)), paths: companiesPaths },
  { mount: '/v1/card-users', router: (deps) => cardUsersRouter(createCardUserService(deps)), paths: cardUsersPaths },
  { mount: '/v1/card-applications', router: (deps) => cardApplicationsRouter(createCardApplicationService(deps)), paths: cardApplicationsPaths },
  { mount: '/v1/cards', router: (deps) => cardsRouter(createCardService(deps)), paths: cardsPaths },
  { mount: '/v1/companies/:companyId', router: (deps) => licencesRouter(createLicenceService(deps)), paths: licencesPaths },
  { mount: '/v1', router: (deps) => casesRouter(createCaseService(deps)), paths: casesPaths },
  { mount: '/v1/digests', router: (deps) => digestsRouter(createDigestService(deps)), paths: digestsPaths },
  { mount: '/v1/planning', router: (deps) => planningRouter(deps.calendar), paths: planningPaths },
  { mount: '/v1/schedules', router: (deps) => schedulesRouter(createScheduleService(deps)), paths: schedulesPaths },
];
