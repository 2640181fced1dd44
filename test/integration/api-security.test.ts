/**
 * The API's guard and its contract with hostile clients, over HTTP against
 * the real stack (dev server worker, FerretDB, SMTP receiver):
 *
 * - every operation of /openapi.json refuses a missing or wrong key with 401,
 *   each role gets 403 where the access policy says so, public operations
 *   stay public;
 * - rate limits are per key, and a flood without a key does not touch them;
 * - the Idempotency-Key header replays, refuses a different body, and the
 *   same trigger sent concurrently starts exactly one workflow (with the
 *   header and without it);
 * - malformed and hostile input (wrong types, huge bodies, unknown fields,
 *   operators and injection attempts in paths, query strings and bodies)
 *   gets a 4xx problem, never a 5xx, and leaves nothing behind;
 * - /metrics counts requests by operation; logs carry neither keys nor emails.
 */
import { LOCAL_API_KEYS } from '../../config/api-keys';
import { BusinessCalendar } from '../../domain/calendar';
import { DEFAULT_RULES } from '../../domain/rules';
import { listOperations } from '../../api/operations';
import { GRANTS, PUBLIC_OPERATIONS, mayCall } from '../../api/security/access-policy';
import { createLogger } from '../../observability/logger';
import { contractWorkflowId } from '../../workflows/definitions';
import { companyRegistration } from '../support/fixtures';
import { startApiHarness, startApp, type ApiHarness, type AppServer } from '../support/api-harness';
import { eventually } from '../support/servers';

const calendar = new BusinessCalendar(DEFAULT_RULES);
const registration = (overrides: Record<string, unknown> = {}) => companyRegistration(calendar, overrides);
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const NONE = { authorization: '' };

let h: ApiHarness;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the document under test
let spec: any;

beforeAll(async () => {
  h = await startApiHarness();
  spec = (await h.api('GET', '/openapi.json')).body;
});
afterAll(() => h?.close());

/** A concrete URL for an OpenAPI path template. */
const concrete = (template: string) => template.replace(/\{[^}]+\}/g, 'x1');

async function companyWorkflows(companyId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of h.client.workflow.list({ query: `TaskQueue = '${h.taskQueue}' AND CompanyId = '${companyId}'` })) ids.push(wf.workflowId);
  return ids;
}

describe('authentication and roles', () => {
  test('every guarded operation refuses a missing, malformed or unknown key with 401 and says how to authenticate', async () => {
    const operations = listOperations(spec.paths).filter((op) => !PUBLIC_OPERATIONS.has(op.operationId));
    expect(operations.length).toBeGreaterThan(35);
    for (const op of operations) {
      for (const headers of [NONE, { authorization: 'Basic YWRtaW46YWRtaW4=' }, bearer('not-a-key-but-long-enough-to-look-like-one'), { 'x-api-key': "' OR 1=1 --" }]) {
        const res = await h.api(op.method.toUpperCase(), concrete(op.path), op.method === 'get' ? undefined : {}, headers);
        expect([op.operationId, res.status]).toEqual([op.operationId, 401]);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      }
      expect(spec.paths[op.path][op.method].responses).toHaveProperty('401');
    }
  });

  test('each role reaches exactly what the access policy grants; the others get 403 naming the allowed roles', async () => {
    const roles = Object.keys(GRANTS) as (keyof typeof GRANTS)[];
    for (const op of listOperations(spec.paths)) {
      if (PUBLIC_OPERATIONS.has(op.operationId)) continue;
      for (const role of roles) {
        const res = await h.api(op.method.toUpperCase(), concrete(op.path), op.method === 'get' ? undefined : {}, bearer(LOCAL_API_KEYS[role]));
        if (mayCall(role, { ...op })) expect([op.operationId, role, res.status]).not.toEqual([op.operationId, role, 403]);
        else {
          expect([op.operationId, role, res.status]).toEqual([op.operationId, role, 403]);
          expect(res.body.allowedRoles).toEqual(spec.paths[op.path][op.method]['x-roles']);
        }
      }
    }
  });

  test('the policy in practice: customer service reads and blocks, cannot decide contracts; schedulers only run schedules and digests', async () => {
    const cs = bearer(LOCAL_API_KEYS['customer-service']);
    const system = bearer(LOCAL_API_KEYS.system);
    const created = await h.api('POST', '/v1/companies', registration());
    expect(created.status).toBe(201);
    const { companyId } = created.body;
    expect((await h.api('GET', `/v1/companies/${companyId}`, undefined, cs)).status).toBe(200);
    expect((await h.api('POST', `/v1/companies/${companyId}/decision`, { decision: 'approve', decidedBy: 'cs' }, cs)).status).toBe(403);
    expect((await h.api('GET', `/v1/companies/${companyId}`, undefined, system)).status).toBe(403);
    expect((await h.api('GET', '/v1/planning/contract-due?submittedAt=2026-11-20T15:00:00%2B01:00', undefined, cs)).status).toBe(200);
    expect((await h.api('GET', '/v1/digests', undefined, system)).status).toBe(200);
  });

  test('X-API-Key works like a bearer token; two different keys in one request are refused', async () => {
    expect((await h.api('GET', '/v1/digests', undefined, { authorization: '', 'x-api-key': LOCAL_API_KEYS.backoffice })).status).toBe(200);
    const both = { authorization: `Bearer ${LOCAL_API_KEYS.backoffice}`, 'x-api-key': LOCAL_API_KEYS.system };
    expect((await h.api('GET', '/v1/digests', undefined, both)).status).toBe(401);
  });

  test('public operations need no key: probes, the spec, the pages and endpoints the email links open', async () => {
    for (const path of ['/healthz', '/openapi.json', '/docs', '/v1/accounts/activation?token=t', '/v1/accounts/password-reset/confirm?token=t']) {
      expect([path, (await h.api('GET', path, undefined, NONE)).status]).toEqual([path, 200]);
    }
    const activation = await h.api('POST', '/v1/accounts/activate', { token: 'nope' }, NONE);
    expect(activation.status).toBe(400); // checked, not refused for want of a key
    expect(spec.paths['/v1/accounts/activate'].post.security).toEqual([]);
  });
});

describe('rate limits', () => {
  let small: AppServer;
  beforeAll(async () => {
    small = await startApp({ db: h.db, client: h.client, taskQueue: h.taskQueue, rateLimitPerMinute: 5 });
  });
  // Limits count in fixed minutes (api/security/rate-limit.ts): a test that straddled two would see two limits.
  beforeEach(async () => {
    const into = Date.now() % 60_000;
    if (into > 55_000) await new Promise((r) => setTimeout(r, 60_000 - into + 50));
  });
  afterAll(() => small?.close());

  test('a key over its rate gets 429 with Retry-After; other keys and the probes are unaffected', async () => {
    const cs = bearer(LOCAL_API_KEYS['customer-service']);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await small.api('GET', '/v1/digests', undefined, cs)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const refused = await small.api('GET', '/v1/digests', undefined, cs);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('ratelimit-limit')).toBe('5');
    expect((await small.api('GET', '/v1/digests')).status).toBe(200); // the back-office key has its own bucket
    expect((await small.api('GET', '/healthz', undefined, cs)).status).toBe(200);
  });

  test('a flood without a key is limited by address and does not use up a key', async () => {
    const flood = await Promise.all(Array.from({ length: 20 }, () => small.api('GET', '/v1/digests', undefined, NONE)));
    expect(flood.filter((r) => r.status === 401)).toHaveLength(5);
    expect(flood.filter((r) => r.status === 429)).toHaveLength(15);
    expect((await small.api('GET', '/v1/digests', undefined, bearer(LOCAL_API_KEYS.system))).status).toBe(200);
  });
});

describe('Idempotency-Key', () => {
  test('the same key and body replays the first answer; a different body is refused with 422 and changes nothing', async () => {
    const key = `reg-${Date.now()}`;
    const body = registration();
    const first = await h.api('POST', '/v1/companies', body, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    // the same JSON with its keys in another order is the same request
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const again = await h.api('POST', '/v1/companies', reordered, { 'idempotency-key': key });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('location')).toBe(first.headers.get('location'));

    const companies = await h.db.models.Company.countDocuments();
    const other = await h.api('POST', '/v1/companies', registration(), { 'idempotency-key': key });
    expect(other.status).toBe(422);
    expect(other.body.errors).toEqual([{ field: 'Idempotency-Key', message: 'used for a different request' }]);
    expect(await h.db.models.Company.countDocuments()).toBe(companies);
  });

  test('keys belong to the API key that sent them', async () => {
    const key = `shared-${Date.now()}`;
    const a = await h.api('POST', '/v1/accounts/password-check', { password: 'short' }, { 'idempotency-key': key });
    const b = await h.api('POST', '/v1/accounts/password-check', { password: 'Another-Passw0rd!' }, {
      'idempotency-key': key,
      ...bearer(LOCAL_API_KEYS['customer-service']),
    });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(b.headers.get('idempotent-replayed')).toBeNull();
  });

  test('a malformed key is a 400', async () => {
    const res = await h.api('POST', '/v1/accounts/password-check', { password: 'x' }, { 'idempotency-key': 'a'.repeat(256) });
    expect(res.status).toBe(400);
  });

  test('the same trigger sent 12 times at once with one key starts exactly one workflow and answers it consistently', async () => {
    const body = registration();
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => h.api('POST', '/v1/companies', body, { 'idempotency-key': `burst-${body.kvkNumber}` })),
    );
    const created = answers.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    for (const r of answers) expect([201, 409]).toContain(r.status); // 409: the first was still running; retry replays
    const companyId = created[0]!.body.companyId;
    for (const r of created) expect(r.body.companyId).toBe(companyId);
    const retried = await h.api('POST', '/v1/companies', body, { 'idempotency-key': `burst-${body.kvkNumber}` });
    expect(retried.body.companyId).toBe(companyId);
    expect(await h.db.models.Company.countDocuments({ kvkNumber: body.kvkNumber })).toBe(1);
    expect(await eventually(async () => (await companyWorkflows(companyId)).length === 1 && companyWorkflows(companyId))).toEqual([
      contractWorkflowId(companyId),
    ]);
  });

  test('the same trigger sent 12 times at once without a key still starts one workflow (business key), the rest are told which case exists', async () => {
    const body = registration();
    const answers = await Promise.all(Array.from({ length: 12 }, () => h.api('POST', '/v1/companies', body)));
    const created = answers.filter((r) => r.status === 201);
    expect(created).toHaveLength(1);
    const companyId = created[0]!.body.companyId;
    for (const r of answers.filter((a) => a.status !== 201)) {
      expect(r.status).toBe(409);
      expect(r.body.companyId).toBe(companyId);
    }
    expect(await eventually(async () => (await companyWorkflows(companyId)).length === 1 && companyWorkflows(companyId))).toEqual([
      contractWorkflowId(companyId),
    ]);
  });
});

describe('hostile and malformed input', () => {
  const hostile = [
    ["' OR '1'='1", 'SQL injection'],
    ['{"$gt":""}', 'Mongo operator'],
    ['../../etc/passwd', 'path traversal'],
    ['<script>alert(1)</script>', 'markup'],
    ['%00%0d%0aSet-Cookie:x=1', 'header injection'],
    ['x'.repeat(5000), 'very long'],
  ];

  test.each(hostile)('%s (%s) in path parameters and query strings is a 400 or 404 problem, never a 5xx', async (value) => {
    const v = encodeURIComponent(value);
    const paths = [
      `/v1/companies/${v}`,
      `/v1/cards/${v}`,
      `/v1/card-applications/${v}`,
      `/v1/accounts/${v}`,
      `/v1/digests/${v}`,
      `/v1/planning/licence-warning?expiresOn=${v}`,
      `/v1/planning/card-delivery?approvedAt=${v}&method=${v}&destination=NL`,
      `/v1/planning/digest-dates?year=${v}`,
      `/v1/digests?limit=${v}`,
      `/v1/planning/contract-due?submittedAt[$gt]=${v}`,
    ];
    for (const path of paths) {
      const res = await h.api('GET', path);
      expect([path, res.status >= 400 && res.status < 500]).toEqual([path, true]);
      expect(JSON.stringify(res.body)).not.toContain('<script>alert');
    }
  });

  test('operators and wrong types in bodies are refused field by field, and nothing is stored', async () => {
    const before = await h.db.models.Company.countDocuments();
    const bodies = [
      registration({ kvkNumber: { $ne: null } }),
      registration({ companyName: ['a', 'b'] }),
      registration({ requestsCargoCards: 'yes' }),
      registration({ $where: 'sleep(1000)' }),
      registration({ contact: { name: 'x', email: 'not-an-email', language: 'en', isAdmin: true } }),
      `{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}, ${JSON.stringify(registration()).slice(1)}`,
      [registration()],
      'null',
      '"a string"',
      '{"companyName": "unterminated',
    ];
    for (const body of bodies) {
      const res = await h.api('POST', '/v1/companies', body);
      expect([JSON.stringify(body).slice(0, 60), res.status]).toEqual([JSON.stringify(body).slice(0, 60), 400]);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await h.db.models.Company.countDocuments()).toBe(before);
  });

  test('a body over 100 kB is a 413, a non-JSON content type a 400 or 415, and the API keeps serving', async () => {
    const huge = await h.api('POST', '/v1/companies', registration({ companyName: 'x'.repeat(200_000) }));
    expect(huge.status).toBe(413);
    const form = await h.api('POST', '/v1/companies', 'companyName=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect([400, 415]).toContain(form.status);
    const latin1 = await h.api('POST', '/v1/companies', '{}', { 'content-type': 'application/json; charset=latin1' });
    expect([400, 415]).toContain(latin1.status);
    expect((await h.api('GET', '/healthz')).status).toBe(200);
  });
});

test('a method a path does not offer is a 405 naming the ones it does', async () => {
  const res = await h.api('PUT', '/v1/companies/co_abcdefgh1');
  expect(res.status).toBe(405);
  expect(res.headers.get('allow')).toBe('GET, PATCH');
  expect((await h.api('DELETE', '/v1/nothing-here')).status).toBe(404);
  const options = await h.api('OPTIONS', '/v1/accounts/activate', undefined, NONE);
  expect([options.status, options.headers.get('allow')]).toEqual([204, 'POST']);
});

describe('observability', () => {
  test('/metrics counts requests by operation and status, and the Node process', async () => {
    await h.api('GET', '/v1/digests');
    await h.api('GET', '/v1/digests', undefined, NONE);
    const res = await fetch(`${h.baseUrl}/metrics`, { headers: bearer(LOCAL_API_KEYS.system) });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/xs_api_requests_total\{operation="listDigests",method="GET",status="200",caller="local-backoffice"\} \d+/);
    expect(text).toMatch(/xs_api_requests_total\{operation="listDigests",method="GET",status="401",caller="anonymous"\} \d+/);
    expect(text).toMatch(/xs_api_request_duration_seconds_bucket\{/);
    expect(text).toMatch(/process_resident_memory_bytes \d+/);
  });

  test('request logs carry IDs and the key name, never the key, the query string, the body or an email address', async () => {
    const lines: string[] = [];
    const logged = await startApp({
      db: h.db,
      client: h.client,
      taskQueue: h.taskQueue,
      logger: createLogger('debug', { service: 'api' }, (line) => lines.push(line)),
    });
    try {
      const body = registration({ contact: { name: 'Privé Persoon', email: 'prive.persoon@haulage.example', language: 'en' } });
      await logged.api('POST', '/v1/companies', body);
      await logged.api('GET', '/v1/planning/licence-warning?expiresOn=secret-query-value');
      await logged.api('GET', '/v1/digests', undefined, bearer('wrong-key-that-must-not-be-logged-0000'));
    } finally {
      await logged.close();
    }
    const all = lines.join('\n');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ level: expect.any(String), requestId: expect.any(String) });
    expect(all).toContain('"caller":"local-backoffice"');
    for (const secret of [LOCAL_API_KEYS.backoffice, 'wrong-key-that-must-not-be-logged', 'secret-query-value', 'prive.persoon', 'Privé']) {
      expect(all).not.toContain(secret);
    }
  });
});
