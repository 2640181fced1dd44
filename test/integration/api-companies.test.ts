/**
 * The companies API over HTTP, end to end: express app on a real port, the
 * shared Temporal dev server with a real worker on a queue of its own, a fresh
 * FerretDB database and a real SMTP receiver.
 */
import type { Client } from '@temporalio/client';
import { messageIdFor, outboxKey } from '../../activities/email';
import type { Database } from '../../db/connection';
import { BusinessCalendar } from '../../domain/calendar';
import { DEFAULT_RULES } from '../../domain/rules';
import { contractWorkflowId } from '../../workflows/definitions';
import { companyRegistration, digits } from '../support/fixtures';
import { startApiHarness, type ApiHarness, type ApiResponse } from '../support/api-harness';
import { eventually } from '../support/servers';
import type { SmtpReceiver } from '../../stack/smtp-receiver';
import { MAIL_FROM as FROM } from '../support/workflow-harness';

const calendar = new BusinessCalendar(DEFAULT_RULES);

let h: ApiHarness;
let baseUrl: string, client: Client, db: Database, receiver: SmtpReceiver, taskQueue: string;

beforeAll(async () => {
  h = await startApiHarness();
  ({ baseUrl, client, db, receiver, taskQueue } = h);
});

afterAll(() => h?.close());

// ---- helpers ------------------------------------------------------------------

/**
 * Calls the API (every error answer is checked to be problem+json without
 * internals, so each test covers that too); `rawBody` is sent as it is.
 */
function api(method: string, path: string, body?: unknown, init: { rawBody?: string; contentType?: string } = {}): Promise<ApiResponse> {
  return h.api(method, path, init.rawBody ?? body, init.contentType ? { 'content-type': init.contentType } : {});
}

const fieldsOf = (res: ApiResponse): string[] => (res.body.errors ?? []).map((e: { field: string }) => e.field);

const today = () => calendar.dayOf(new Date());
const registration = (overrides: Record<string, unknown> = {}) => companyRegistration(calendar, overrides);
type Registration = ReturnType<typeof registration>;

const without = (body: Registration, field: string) => Object.fromEntries(Object.entries(body).filter(([k]) => k !== field));

async function register(body: Registration = registration()) {
  const res = await api('POST', '/v1/companies', body);
  expect(res.status).toBe(201);
  return res.body as { companyId: string; customerNumber: string };
}

const decide = (companyId: string, decision: Record<string, unknown>) => api('POST', `/v1/companies/${companyId}/decision`, decision);

/**
 * Every workflow on this file's task queue belongs to a stored company and the
 * reverse: a refused request left neither a record nor a stray workflow behind.
 */
async function expectWorkflowsMatchCompanies(): Promise<void> {
  const companies = await db.models.Company.find({}, { _id: 1 }).lean();
  const expected = companies.map((c) => contractWorkflowId(c._id)).sort();
  const listed = async () => {
    const ids: string[] = [];
    for await (const wf of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) ids.push(wf.workflowId);
    return ids.sort();
  };
  await eventually(async () => JSON.stringify(await listed()) === JSON.stringify(expected)).catch(async () => {
    expect(await listed()).toEqual(expected); // shows the difference
  });
}

/** Sends a refused request and checks that nothing was stored. */
async function expectRefused(send: () => Promise<ApiResponse>, status: number): Promise<ApiResponse> {
  const before = await db.models.Company.countDocuments();
  const res = await send();
  expect(res.status).toBe(status);
  expect(res.body).toMatchObject({ status, title: expect.any(String), requestId: expect.any(String) });
  expect(await db.models.Company.countDocuments()).toBe(before);
  return res;
}

// ---- registration ---------------------------------------------------------------

describe('POST /v1/companies', () => {
  test('a valid registration is stored, answered 201 with its location, and starts the contract workflow', async () => {
    const body = registration({ vatId: `nl ${digits(3)}.${digits(3)}.${digits(3)} b01` }); // normalised to NL…B01
    const before = Date.now();

    const res = await api('POST', '/v1/companies', body);

    expect(res.status).toBe(201);
    const { companyId, customerNumber, contract } = res.body;
    expect(companyId).toMatch(/^co_[A-Za-z0-9]{8,40}$/);
    expect(customerNumber).toMatch(/^\d{7}$/);
    expect(res.headers.get('location')).toBe(`/v1/companies/${companyId}`);
    expect(res.body).toMatchObject({
      companyName: body.companyName,
      kvkNumber: body.kvkNumber,
      vatId: body.vatId.replace(/[\s.]/g, '').toUpperCase(),
      requestsCargoCards: true,
      workflowId: `contract:${companyId}`,
      contract: { status: 'pending', slaBreached: false },
    });
    const submittedAt = new Date(contract.submittedAt);
    expect(submittedAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(contract.dueAt).toBe(calendar.contractDueAt(submittedAt).toISOString());

    const description = await client.workflow.getHandle(`contract:${companyId}`).describe();
    expect(description.status.name).toBe('RUNNING');
    expect(description.type).toBe('contractApproval');
    expect(description.taskQueue).toBe(taskQueue);

    const stored = await db.models.Company.findById(companyId).lean();
    expect(stored).toMatchObject({
      customerNumber,
      registrationKey: `${body.kvkNumber}:${res.body.vatId}`,
      contact: body.contact,
      transportLicence: body.transportLicence,
      contract: { status: 'pending' },
    });

    const read = await api('GET', res.headers.get('location')!);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(res.body);
  });

  describe('malformed input is refused with the wrong fields named, and nothing is stored', () => {
    const valid = registration();
    const cases: Array<[string, Record<string, unknown>, string[]]> = [
      ['a number where a string belongs', { ...valid, kvkNumber: 12345678 }, ['kvkNumber']],
      ['a string where a boolean belongs', { ...valid, requestsCargoCards: 'yes' }, ['requestsCargoCards']],
      ['a string where an object belongs', { ...valid, contact: 'kees@haulage.example' }, ['contact']],
      ['a missing field', without(valid, 'companyName'), ['companyName']],
      ['a missing nested field', { ...valid, signatory: { name: 'Sanne Signer', listedInKvkExtract: true } }, ['signatory.email']],
      ['an unknown field', { ...valid, isAdmin: true }, ['isAdmin']],
      ['an unknown nested field', { ...valid, contact: { ...valid.contact, phone: '+31 10 000 0000' } }, ['contact.phone']],
      ['an invalid VAT ID', { ...valid, vatId: 'US123456789' }, ['vatId']],
      ['a KvK number of 7 digits', { ...valid, kvkNumber: '1234567' }, ['kvkNumber']],
      ['a date that does not exist', { ...valid, kvkExtract: { ...valid.kvkExtract, issuedOn: '2026-02-30' } }, ['kvkExtract.issuedOn']],
      ['a date in the wrong format', { ...valid, transportLicence: { ...valid.transportLicence, expiresOn: '31-12-2030' } }, ['transportLicence.expiresOn']],
      ['a signatory not listed in the extract', { ...valid, signatory: { ...valid.signatory, listedInKvkExtract: false } }, ['signatory.listedInKvkExtract']],
      ['an invalid email and language at once', { ...valid, contact: { ...valid.contact, email: 'nope', language: 'fr' } }, ['contact.email', 'contact.language']],
    ];

    test.each(cases)('%s', async (_name, body, fields) => {
      const res = await expectRefused(() => api('POST', '/v1/companies', body), 400);
      expect(fieldsOf(res).sort()).toEqual([...fields].sort());
    });

    test('a JSON array, a body that is not JSON, a body without a JSON content type', async () => {
      const array = await expectRefused(() => api('POST', '/v1/companies', [valid]), 400);
      expect(fieldsOf(array)).toEqual(['(body)']);
      const notJson = await expectRefused(() => api('POST', '/v1/companies', undefined, { rawBody: '{"companyName": "Acme",' }), 400);
      expect(notJson.body.detail).toBe('the body is not valid JSON');
      const plain = await expectRefused(
        () => api('POST', '/v1/companies', undefined, { rawBody: JSON.stringify(valid), contentType: 'text/plain' }),
        400,
      );
      expect(fieldsOf(plain)).toEqual(['(body)']);
    });

    test('a body over 100kb is 413', async () => {
      const huge = { ...valid, companyName: 'x'.repeat(150 * 1024) };
      await expectRefused(() => api('POST', '/v1/companies', huge), 413);
    });

    test('no workflow was started for any refused request', expectWorkflowsMatchCompanies);
  });

  describe('business rules are 422 with the field named, and nothing is stored', () => {
    test.each([
      ['CargoCards without a transport licence', () => registration({ transportLicence: undefined }), 'transportLicence'],
      ['an expired transport licence', () => registration({ transportLicence: { ...registration().transportLicence, expiresOn: calendar.addDays(today(), -1) } }), 'transportLicence.expiresOn'],
      ['an extract issued in the future', () => registration({ kvkExtract: { documentRef: 'doc-kvk-1', issuedOn: calendar.addDays(today(), 2) } }), 'kvkExtract.issuedOn'],
      ['an extract older than 180 days', () => registration({ kvkExtract: { documentRef: 'doc-kvk-1', issuedOn: calendar.addDays(today(), -181) } }), 'kvkExtract.issuedOn'],
    ])('%s', async (_name, body, field) => {
      const res = await expectRefused(() => api('POST', '/v1/companies', body()), 422);
      expect(fieldsOf(res)).toEqual([field]);
    });

    test('without CargoCards no licence is needed', async () => {
      await register(registration({ requestsCargoCards: false, transportLicence: undefined }));
    });

    test('no workflow was started for any refused request', expectWorkflowsMatchCompanies);
  });

  test('the same KvK number and VAT ID while pending is 409 with the existing company; after a rejection they register again', async () => {
    const body = registration();
    const first = await register(body);

    const duplicate = await expectRefused(
      () => api('POST', '/v1/companies', { ...body, companyName: 'Renamed B.V.', vatId: body.vatId.toLowerCase() }),
      409,
    );
    expect(duplicate.body.companyId).toBe(first.companyId);

    const rejected = await decide(first.companyId, { outcome: 'rejected', reason: 'extract unreadable', decidedBy: 'bo-anna' });
    expect(rejected.status).toBe(200);

    const again = await register(body);
    expect(again.companyId).not.toBe(first.companyId);
    const [old, fresh] = await Promise.all([api('GET', `/v1/companies/${first.companyId}`), api('GET', `/v1/companies/${again.companyId}`)]);
    expect(old.body.contract).toMatchObject({ status: 'rejected', rejectionReason: 'extract unreadable', decidedBy: 'bo-anna' });
    expect(fresh.body.contract.status).toBe('pending');
  });
});

// ---- decisions ----------------------------------------------------------------

describe('POST /v1/companies/:id/decision', () => {
  let company: { companyId: string; customerNumber: string };
  let contactEmail: string;

  beforeAll(async () => {
    const body = registration({ contact: { name: 'Kees Contact', email: `approve-${digits(6)}@haulage.example`, language: 'de' } });
    contactEmail = body.contact.email;
    company = await register(body);
  });

  test('a rejection without a reason is 400 naming reason, and the contract stays pending', async () => {
    const res = await decide(company.companyId, { outcome: 'rejected', decidedBy: 'bo-anna' });
    expect(res.status).toBe(400);
    expect(fieldsOf(res)).toEqual(['reason']);
    expect((await api('GET', `/v1/companies/${company.companyId}`)).body.contract.status).toBe('pending');
  });

  test('approval is 200 with the customer number; GET shows it approved', async () => {
    const res = await decide(company.companyId, { outcome: 'approved', decidedBy: 'bo-anna' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ outcome: 'approved', decidedAt: expect.any(String), customerNumber: company.customerNumber });

    const read = await api('GET', `/v1/companies/${company.companyId}`);
    expect(read.body.contract).toMatchObject({ status: 'approved', decidedBy: 'bo-anna', decidedAt: res.body.decidedAt });
  });

  test('a second decision is 409', async () => {
    const res = await decide(company.companyId, { outcome: 'rejected', reason: 'changed my mind', decidedBy: 'bo-ben' });
    expect(res.status).toBe(409);
    expect((await api('GET', `/v1/companies/${company.companyId}`)).body.contract).toMatchObject({ status: 'approved', decidedBy: 'bo-anna' });
  });

  test('the approval mail, with the customer number, reaches the company contact once', async () => {
    const workflowId = contractWorkflowId(company.companyId);
    await expect(client.workflow.getHandle(workflowId).result()).resolves.toMatchObject({ outcome: 'approved' });
    const messageId = messageIdFor(outboxKey({ workflowId, purpose: 'contract-approved' }), FROM);
    const mails = receiver.messages.filter((m) => m.to.includes(contactEmail));
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ messageId, subject: `Ihr XS-Key-Vertrag ist genehmigt (Kundennummer ${company.customerNumber})` });
  });

  test('an unknown company is 404, a malformed ID 400 naming companyId', async () => {
    const unknown = await decide('co_unknown123', { outcome: 'approved', decidedBy: 'bo-anna' });
    expect(unknown.status).toBe(404);
    const malformed = await decide('not-a-company', { outcome: 'approved', decidedBy: 'bo-anna' });
    expect(malformed.status).toBe(400);
    expect(fieldsOf(malformed)).toEqual(['companyId']);
    expect((await api('GET', '/v1/companies/%E0%A4%A')).status).toBe(400); // undecodable path
    expect((await api('GET', '/v1/companies/co_unknown123')).status).toBe(404);
  });

  test('malformed decisions are 400 with the field named', async () => {
    const res = await decide(company.companyId, { outcome: 'maybe', decidedBy: 'bo-anna', extra: 1 });
    expect(res.status).toBe(400);
    expect(fieldsOf(res).sort()).toEqual(['extra', 'outcome']);
  });
});

// ---- operations and docs --------------------------------------------------------

describe('operations and documentation', () => {
  test('GET /healthz is 200', async () => {
    const res = await api('GET', '/healthz');
    expect(res).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  test('GET /readyz is 200 with every dependency ok', async () => {
    const res = await api('GET', '/readyz');
    expect(res).toMatchObject({ status: 200, body: { status: 'ready', checks: { mongodb: 'ok', temporal: 'ok', smtp: 'ok' } } });
  });

  test('GET /openapi.json is OpenAPI 3.1 with the three company paths', async () => {
    const res = await api('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\.1\./);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/v1/companies', '/v1/companies/{companyId}', '/v1/companies/{companyId}/decision']),
    );
    expect(res.body.paths['/v1/companies'].post.responses).toHaveProperty('201');
    expect(res.body.paths['/v1/companies/{companyId}/decision'].post.responses).toHaveProperty('409');
  });

  // KNOWN BUG in api/openapi.ts: each inline schema is a separate z.toJSONSchema() result whose
  // `$ref: '#/$defs/X'` resolves against the OpenAPI document root, which has no `$defs`, so Swagger
  // UI cannot resolve any request or response schema. Turn this into `test` once that is fixed.
  test('every $ref in /openapi.json resolves inside the document', async () => {
    const doc = (await api('GET', '/openapi.json')).body;
    const refs: string[] = [];
    const collect = (node: unknown): void => {
      if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === '$ref' && typeof value === 'string') refs.push(value);
          else collect(value);
        }
      }
    };
    collect(doc.paths);
    const resolve = (ref: string) =>
      ref.slice(2).split('/').reduce<any>((node, part) => node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], doc); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(refs.length).toBeGreaterThan(0);
    expect(refs.filter((ref) => !ref.startsWith('#/') || resolve(ref) === undefined)).toEqual([]);
  });

  test('GET /docs is the Swagger UI page, and its assets are served', async () => {
    const page = await api('GET', '/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.body).toContain('swagger-ui-bundle.js');
    const bundle = await fetch(`${baseUrl}/docs/assets/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    await bundle.arrayBuffer();
  });

  test('an unknown route is 404 problem+json', async () => {
    const res = await api('GET', '/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ type: 'about:blank', title: 'Not found', status: 404, instance: '/v1/nothing-here' });
  });
});
