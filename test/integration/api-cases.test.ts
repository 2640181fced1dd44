/**
 * Case lookup and the company-name change, over HTTP against the dev server
 * (visibility answers the cases of a company; the case's memo, written with
 * its status, says what it waits for).
 */
import { LOCAL_API_KEYS } from '../../config/api-keys';
import { BusinessCalendar } from '../../domain/calendar';
import { DEFAULT_RULES } from '../../domain/rules';
import { companyRegistration, insertCardUser, insertCompany } from '../support/fixtures';
import { startApiHarness, type ApiHarness } from '../support/api-harness';
import { eventually } from '../support/servers';

const calendar = new BusinessCalendar(DEFAULT_RULES);
let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(() => h?.close());

async function register() {
  const res = await h.api('POST', '/v1/companies', companyRegistration(calendar));
  expect(res.status).toBe(201);
  return res.body.companyId as string;
}

test('a running contract case shows its phase, deadline, summary and what it waits for', async () => {
  const companyId = await register();
  const res = await h.api('GET', `/v1/cases/contract:${companyId}`, undefined, { authorization: `Bearer ${LOCAL_API_KEYS['customer-service']}` });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({
    workflowId: `contract:${companyId}`,
    type: 'contractApproval',
    status: 'RUNNING',
    phase: 'awaiting-decision',
    slaBreached: false,
    companyId,
    summary: expect.stringContaining('Contract approval'),
    waitingFor: expect.any(String),
  });
  expect(Date.parse(res.body.nextDueAt)).toBeGreaterThan(Date.now());
});

test('the cases of a company: the contract, then the licence watch its approval starts; filters by status', async () => {
  const companyId = await register();
  const decided = await h.api('POST', `/v1/companies/${companyId}/decision`, { outcome: 'approved', decidedBy: 'bo-1' });
  expect(decided.status).toBe(200);
  const types = await eventually(async () => {
    const res = await h.api('GET', `/v1/companies/${companyId}/cases`);
    const found = (res.body.cases as { type: string }[]).map((c) => c.type).sort();
    return found.length === 2 && found;
  });
  expect(types).toEqual(['contractApproval', 'licenceWatch']);
  const running = await eventually(async () => {
    const res = await h.api('GET', `/v1/companies/${companyId}/cases?status=running`);
    return res.body.cases.length === 1 && res.body.cases;
  });
  expect(running[0]).toMatchObject({ type: 'licenceWatch', status: 'RUNNING', companyId });
});

test('unknown and malformed case IDs are 404 and 400; a company without cases has an empty list', async () => {
  expect((await h.api('GET', '/v1/cases/contract:co_doesnotexist1')).status).toBe(404);
  expect((await h.api('GET', '/v1/cases/temporal-sys-scheduler:x')).status).toBe(400);
  expect((await h.api('GET', "/v1/companies/co_x'OR'1'='1/cases")).status).toBe(400);
  expect((await h.api('GET', '/v1/companies/co_nothinghere1/cases?limit=0')).status).toBe(400);
  expect((await h.api('GET', '/v1/companies/co_nothinghere1/cases')).body).toEqual({ companyId: 'co_nothinghere1', cases: [] });
});

test('a changed company name updates the company and is audited; KvK and VAT cannot be changed this way', async () => {
  const companyId = await register();
  const renamed = await h.api('PATCH', `/v1/companies/${companyId}`, { companyName: 'Haven Transport B.V.', changedBy: 'bo-2' });
  expect(renamed.status).toBe(200);
  expect(renamed.body).toMatchObject({ companyId, companyName: 'Haven Transport B.V.' });
  expect((await h.api('GET', `/v1/companies/${companyId}`)).body.companyName).toBe('Haven Transport B.V.');
  expect(await h.db.models.AuditEvent.countDocuments({ subject: companyId, event: 'company-renamed', actor: 'bo-2' })).toBe(1);

  const refused = await h.api('PATCH', `/v1/companies/${companyId}`, { companyName: 'X', changedBy: 'bo-2', vatId: 'NL000000000B01' });
  expect(refused.status).toBe(400);
  expect(refused.body.errors).toContainEqual({ field: 'vatId', message: 'unknown field' });
  expect((await h.api('PATCH', '/v1/companies/co_doesnotexist1', { companyName: 'X', changedBy: 'bo-2' })).status).toBe(404);
  const cs = await h.api('PATCH', `/v1/companies/${companyId}`, { companyName: 'Y', changedBy: 'cs' }, { authorization: `Bearer ${LOCAL_API_KEYS['customer-service']}` });
  expect(cs.status).toBe(403);
});

// Last in this file: it stops the worker.
test('with no worker running, a case still says what it waits for, a licence and a card application still read: all from the memo', async () => {
  const companyId = await register();
  expect((await h.api('POST', `/v1/companies/${companyId}/decision`, { outcome: 'approved', decidedBy: 'bo-1' })).status).toBe(200);
  const licencePath = `/v1/companies/${companyId}/transport-licence`;
  const asked = await eventually(async () => {
    const res = await h.api('GET', licencePath);
    return res.status === 200 && res.body;
  });
  const awake = (await h.api('GET', `/v1/cases/licence:${companyId}`)).body;
  expect(awake.waitingFor).toMatch(/^Licence .* valid through/);
  // A card application of another company, approved by one party: its state names that approval.
  const company = await insertCompany(h.db.models);
  const { xsId } = await insertCardUser(h.db.models, company.companyId);
  const applied = await h.api('POST', '/v1/card-applications', { companyId: company.companyId, xsId, cardType: 'PortKey', deliveryMethod: 'post' });
  expect(applied.status).toBe(201);
  const applicationPath = `/v1/card-applications/${applied.body.applicationId}`;
  expect((await h.api('POST', `${applicationPath}/approvals`, { by: 'back-office', approvedBy: 'bo-1' })).status).toBe(200);
  const application = (await h.api('GET', applicationPath)).body;
  expect(application.state).toMatchObject({ phase: 'awaiting-approvals', approvals: { backoffice: { by: 'bo-1' } } });

  // A sleeping case in production: no worker holds it, and a Query would have one replay it (or wait for one).
  h.worker.shutdown();
  await eventually(async () => h.worker.getState() === 'STOPPED');
  const asleep = await h.api('GET', `/v1/cases/licence:${companyId}`);
  expect(asleep.status).toBe(200);
  expect(asleep.body).toMatchObject({ status: 'RUNNING', phase: 'watching', waitingFor: awake.waitingFor });
  const licence = await h.api('GET', licencePath);
  expect({ status: licence.status, body: licence.body }).toEqual({ status: 200, body: asked });
  const sleeping = await h.api('GET', applicationPath);
  expect({ status: sleeping.status, body: sleeping.body }).toEqual({ status: 200, body: application });
});
