/**
 * Every resource of the API: its endpoints (declared in its own file) and the
 * service its handlers work with. One line per resource; the router, the
 * guard, the metrics and the OpenAPI document all read this list.
 *
 * To add an endpoint: one `endpoint({...})` in its resource's file (method,
 * path, operationId, schemas, answers, handler), and its roles in
 * security/access-policy.ts. api-authorization.test.ts covers it from then on.
 */
import type { Endpoint } from '../operations';
import type { ServiceDeps } from '../services/deps';
import type { Probes } from './probes';
import { accounts } from './accounts';
import { cardApplications } from './card-applications';
import { cardUsers } from './card-users';
import { cards } from './cards';
import { cases } from './cases';
import { companies } from './companies';
import { digests } from './digests';
import { licences } from './licences';
import { planning } from './planning';
import { probes } from './probes';
import { schedules } from './schedules';
import { terminals } from './terminals';

/** What a resource's service is made from. */
export interface RouteDeps extends ServiceDeps {
  probes: Probes;
}

export interface Resource<S> {
  service: (deps: RouteDeps) => S;
  endpoints: Endpoint<S>[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each resource has a service of its own
export const RESOURCES: Resource<any>[] = [probes, accounts, companies, cardUsers, cardApplications, cards, licences, cases, digests, planning, schedules, terminals];

/** Every endpoint of the API, in declaration order. */
export const ENDPOINTS: Endpoint[] = RESOURCES.flatMap((r) => r.endpoints);
