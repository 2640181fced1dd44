/**
 * /healthz (alive), /readyz (dependencies reachable; the answer is cached,
 * see ../readiness.ts) and /metrics (Prometheus; needs a back-office or system
 * key, since it names the API keys).
 */
import type { Registry } from 'prom-client';
import { endpointsFor } from '../operations';
import type { Readiness } from '../readiness';
import type { Resource } from '.';

export interface Probes {
  ready: () => Promise<Readiness>;
  registry: Registry;
}

const endpoint = endpointsFor<Probes>();

export const probes: Resource<Probes> = {
  service: (deps) => deps.probes,
  endpoints: [
    endpoint({
      method: 'get',
      path: '/healthz',
      operationId: 'healthz',
      summary: 'Alive',
      rateLimited: false, // answers from memory; a liveness probe refused under a flood would get the API restarted
      responses: { '200': { description: 'Alive', content: { 'application/json': { schema: { type: 'object' } } } } },
      handle: (_input, res) => res.json({ status: 'ok' }),
    }),
    endpoint({
      method: 'get',
      path: '/readyz',
      operationId: 'readyz',
      summary: 'Temporal, MongoDB and SMTP reachable (checked at most every few seconds; the answer is reused in between)',
      responses: {
        '200': { description: 'Ready', content: { 'application/json': { schema: { type: 'object' } } } },
        '503': { description: 'A dependency is unreachable', content: { 'application/json': { schema: { type: 'object' } } } },
      },
      handle: async (_input, res, probes) => {
        const { ok, checks } = await probes.ready();
        res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not-ready', checks });
      },
    }),
    endpoint({
      method: 'get',
      path: '/metrics',
      operationId: 'metrics',
      summary: 'Prometheus metrics of the API: requests by operation, status and caller, handler entries by role, the Node process',
      responses: { '200': { description: 'The metrics, in the Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } } },
      handle: async (_input, res, probes) => {
        res.type(probes.registry.contentType).send(await probes.registry.metrics());
      },
    }),
  ],
};
