/**
 * The OpenAPI 3.1 document, generated from the zod schemas that validate the
 * requests: one source of truth for the docs and the checks.
 */
import { componentSchemas } from './openapi-helpers';
import { RESOURCES } from './routes';

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
      ...Object.assign({}, ...RESOURCES.map((r) => r.paths)),
      '/healthz': { get: { operationId: 'healthz', summary: 'Alive', responses: { '200': { description: 'Alive' } } } },
      '/readyz': {
        get: {
          operationId: 'readyz',
          summary: 'Temporal, MongoDB and SMTP reachable',
          responses: { '200': { description: 'Ready' }, '503': { description: 'A dependency is unreachable' } },
        },
      },
    },
    components: { schemas: componentSchemas },
  };
}
