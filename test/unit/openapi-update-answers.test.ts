/**
 * Every endpoint that sends a workflow Update declares the 202 it answers when the Update's outcome is not
 * known by the deadline (with a Location to read it), and that Location is a declared endpoint. Which
 * endpoints send Updates is their declaration (`sendsUpdate`, api/operations.ts); api/services/updates.ts
 * refuses to send an Update while serving an endpoint without it, so an endpoint that forgets it fails its
 * API tests instead of answering a 202 the document does not know.
 */
import { buildOpenApi, OUTCOME_PENDING } from '../../api/openapi';
import { ENDPOINTS } from '../../api/routes';
import { UpdateOutcomePending, updateIdFor } from '../../api/services/updates';
import { requestContext } from '../../observability/request-context';

type Answer = { description: string; headers?: Record<string, unknown>; content?: Record<string, { schema: { oneOf?: unknown[] } }> };
const doc = buildOpenApi('http://127.0.0.1:3000');
const answersOf = (method: string, path: string) => (doc.paths[path]?.[method]?.responses ?? {}) as Record<string, Answer>;
const updateEndpoints = ENDPOINTS.filter((e) => e.sendsUpdate).map((e) => [e.operationId, e] as const);
const pendingSchema = OUTCOME_PENDING.content['application/json'].schema;

// The sign-in sends an Update too, but is judged afresh every time: never 202 (api/services/sign-in.ts).
test('the endpoints that send Updates are the operators\' and portal users\' decisions on running processes', () => {
  expect(updateEndpoints.map(([id]) => id).sort()).toEqual([
    'activateCard', 'activatePortalAccount', 'addPortalCustomerNumber', 'approveCardApplication', 'cancelCardBlock',
    'confirmPortalCustomerNumber', 'convertCardApplicationToUrgent', 'decideContract', 'issueNewCardPin', 'lockPortalAccount',
    'nameCardCollector', 'recordCardPickup', 'registerLicenceBridging', 'removePortalCustomerNumber', 'renewCard',
    'renewTransportLicence', 'reportCardLost', 'resetPortalPassword', 'scheduleCardBlock', 'unlockPortalAccount',
  ]);
});

test.each(updateEndpoints)('%s declares the 202 of a pending outcome, with its Location', (_id, e) => {
  const answer = answersOf(e.method, e.path)['202'];
  expect(answer?.description).toContain(OUTCOME_PENDING.description);
  expect(answer?.headers).toEqual(OUTCOME_PENDING.headers);
  const schema = answer?.content?.['application/json']?.schema;
  // Its own 202 (a request taken for later) and the pending outcome, or the pending outcome alone.
  expect(schema?.oneOf ? schema.oneOf : [schema]).toContainEqual(pendingSchema);
});

test('the Location of a pending outcome is a declared endpoint that answers the outcome (200) or again pending (202)', () => {
  const location = new UpdateOutcomePending('cardlife:4000123', 'k-abcdefgh12345678').location;
  const declared = Object.keys(doc.paths).filter((template) =>
    new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(location),
  );
  expect(declared).toEqual(['/v1/cases/{workflowId}/updates/{updateId}']);
  const answers = answersOf('get', declared[0]!);
  expect(Object.keys(answers)).toEqual(expect.arrayContaining(['200', '202', '404']));
  expect(answers['202']?.content?.['application/json']?.schema).toEqual(pendingSchema);
});

test('an Update sent while serving an endpoint that does not declare sendsUpdate is refused; a declared one, or one outside a request, is sent', () => {
  const serving = (sendsUpdate: boolean) => ({ requestId: 'r-1', caller: 'ops', operationId: 'getCard', sendsUpdate });
  expect(() => requestContext.run(serving(false), () => updateIdFor('cardlife:1', 'scheduleBlock'))).toThrow(/getCard .*sendsUpdate/);
  expect(requestContext.run(serving(true), () => updateIdFor('cardlife:1', 'scheduleBlock'))).toMatch(/^u-/);
  expect(updateIdFor('cardlife:1', 'scheduleBlock')).toMatch(/^u-/);
});
