/**
 * The OpenAPI 3.1 document, generated from the endpoint declarations
 * (routes/) and the zod schemas that validate their requests: one source of
 * truth for the docs, the router and the checks. Each operation also states
 * who may call it (from security/access-policy.ts) and the answers every
 * guarded operation can give (401, 403, 429, 503).
 */
import { componentSchemas, json, pathParams, problemResponse, queryParams } from './openapi-helpers';
import { listOperations, type Endpoint } from './operations';
import { ENDPOINTS } from './routes';
import { updatePending } from './schemas/cases';
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
    operation.responses = { '503': unavailable, ...operation.responses };
    if (isPublic(op)) {
      operation.security = [];
      continue;
    }
    const roles = rolesFor(op);
    operation['x-roles'] = roles;
    operation.description = [operation.description, `Roles: ${roles.join(', ')}.`].filter(Boolean).join('\n\n');
    operation.responses = {
      ...operation.responses,
      // An endpoint's own 401 (the sign-in's refusal) says both what it means and that the key may be the cause.
      '401': operation.responses['401'] ?? problemResponse('No API key, or one that is not valid'),
      '403': problemResponse(`The key's role may not call this (roles: ${roles.join(', ')})`),
    };
  }
  return paths;
}

/** The answer of an endpoint that sends an Update (`sendsUpdate`) whose outcome is not known by the deadline. */
export const OUTCOME_PENDING = {
  description:
    'Taken, but its outcome was not known within the deadline: read it at Location (GET /v1/cases/{workflowId}/updates/{updateId}), ' +
    'or send the same request again with the same Idempotency-Key (it waits for the same Update)',
  headers: { Location: { description: "The outcome's URL, relative to the API's base URL", schema: { type: 'string' } } },
  content: json(updatePending, 'output'),
};

/** An endpoint's own 202 (a request taken for later) and the pending outcome of its Update, as one answer. */
function with202(responses: Record<string, unknown>): Record<string, unknown> {
  const own = responses['202'] as { description: string; content?: Record<string, { schema: unknown }> } | undefined;
  if (!own) return { ...responses, '202': OUTCOME_PENDING };
  const schemas = [own.content?.['application/json']?.schema, OUTCOME_PENDING.content['application/json'].schema].filter(Boolean);
  return {
    ...responses,
    '202': {
      description: `${own.description}; or: ${OUTCOME_PENDING.description}`,
      headers: OUTCOME_PENDING.headers,
      content: { 'application/json': { schema: { oneOf: schemas } } },
    },
  };
}

/** The operation object of one endpoint declaration. */
function operationObject(e: Endpoint): OperationObject {
  const parameters = [...(e.params ? pathParams(e.params) : []), ...(e.query ? queryParams(e.query) : []), ...(e.parameters ?? [])];
  return {
    operationId: e.operationId,
    summary: e.summary,
    ...(e.description ? { description: e.description } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(e.body ? { requestBody: { required: !e.bodyOptional, content: json(e.body, 'input') } } : {}),
    // A path parameter's value may be refused before the handler reads it (not in its canonical spelling).
    responses: {
      ...(e.params ? { '400': problemResponse('Malformed path') } : {}),
      ...(e.sendsUpdate ? with202(e.responses) : e.responses),
      ...(e.rateLimited === false ? {} : { '429': rateLimited }),
    },
  };
}

export function buildOpenApi(serverUrl: string) {
  const paths: Paths = {};
  for (const e of ENDPOINTS) (paths[e.path] ??= {})[e.method] = operationObject(e);
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
