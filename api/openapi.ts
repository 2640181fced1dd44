/**
 * The OpenAPI 3.1 document, generated from the zod schemas that validate the
 * requests: one source of truth for the docs and the checks. Each operation
 * also states who may call it (from security/access-policy.ts) and the
 * answers every guarded operation can give (401, 403, 429, 503).
 */
import { componentSchemas, problemResponse } from './openapi-helpers';
import { listOperations } from './operations';
import { RESOURCES } from './routes';
import { isPublic, rolesFor } from './security/access-policy';

type OperationObject = { operationId?: string; description?: string; responses: Record<string, unknown>; [k: string]: unknown };
type Paths = Record<string, Record<string, OperationObject>>;

/** A problem answer that tells the client when to try again. */
const retryLater = (description: string) => ({
  ...problemResponse(description),
  headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } },
});
const rateLimited = retryLater('Over the rate limit of the caller (the API key, or the address without one); see Retry-After');
const unavailable = retryLater('MongoDB or the Temporal server is briefly unreachable: retry after Retry-After seconds (with the same Idempotency-Key)');

function withSecurity(paths: Paths): Paths {
  for (const op of listOperations(paths)) {
    const operation = paths[op.path]![op.method]!;
    operation.responses = { '503': unavailable, ...operation.responses, '429': rateLimited };
    if (isPublic(op)) {
      operation.security = [];
      continue;
    }
    const roles = rolesFor(op);
    operation['x-roles'] = roles;
    operation.description = [operation.description, `Roles: ${roles.join(', ')}.`].filter(Boolean).join('\n\n');
    operation.responses = {
      ...operation.responses,
      '401': problemResponse('No API key, or one that is not valid'),
      '403': problemResponse(`The key's role may not call this (roles: ${roles.join(', ')})`),
    };
  }
  return paths;
}

export function buildOpenApi(serverUrl: string) {
  const paths: Paths = {
    ...Object.assign({}, ...RESOURCES.map((r) => r.paths)),
    '/healthz': { get: { operationId: 'healthz', summary: 'Alive', responses: { '200': { description: 'Alive' } } } },
    '/readyz': {
      get: {
        operationId: 'readyz',
        summary: 'Temporal, MongoDB and SMTP reachable',
        responses: { '200': { description: 'Ready' }, '503': { description: 'A dependency is unreachable' } },
      },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'XS-Key back-office API',
      version: '1.0.0',
      description:
        'Triggers and steers the long-lived processes of the XS-ID / XS-Key issuer (contract approval, card production, ' +
        'pickup hold, licence watch, digest, portal accounts). Every error is an RFC 9457 problem document.\n\n' +
        'Authenticate with an API key: `Authorization: Bearer <key>` (or `X-API-Key: <key>`). Each key has a role ' +
        '(backoffice, customer-service, system); each operation lists the roles that may call it. ' +
        'POST and DELETE accept an `Idempotency-Key` header: the same key with the same request replays the first answer ' +
        '(`Idempotent-Replayed: true`); with a different request it is refused with 422.',
    },
    servers: [{ url: serverUrl }],
    security: [{ bearer: [] }, { apiKey: [] }],
    paths: withSecurity(paths),
    components: {
      schemas: componentSchemas,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key from API_KEYS' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'The same API key, in a header of its own' },
      },
    },
  };
}
