/**
 * Authorization cannot be played against routing, generated from
 * /openapi.json (a new endpoint is covered without editing this file):
 * every operation x every role and no key x many spellings of its path
 * (the case of each literal segment, trailing and duplicate slashes,
 * percent-encoded letters and slashes, dot segments, backslashes) and HEAD
 * for GET. A percent-encoded letter is decoded once and then authorized
 * exactly as the canonical path; every other odd spelling reaches no handler.
 *
 * "Reached a handler" is observed, not inferred from status codes: the API
 * counts handler entries by operation and role (xs_api_handler_entries_total,
 * read from /metrics). After each operation's requests, no (operation, role)
 * pair the access policy refuses has a single entry, and the only entries are
 * those of the authorized canonical requests (so no odd spelling reached any
 * handler, not even for a role that may call it).
 */
import { request as httpRequest, Agent } from 'node:http';
import { LOCAL_API_KEYS, type Role } from '../../config/api-keys';
import { BusinessCalendar } from '../../domain/calendar';
import { DEFAULT_RULES } from '../../domain/rules';
import { listOperations, type Operation } from '../../api/operations';
import { GRANTS, isPublic, mayCall } from '../../api/security/access-policy';
import { concrete, spellings } from '../../drills/path-spellings';
import { companyRegistration } from '../support/fixtures';
import { startApiHarness, type ApiHarness } from '../support/api-harness';

let h: ApiHarness;
let operations: Operation[];
const agent = new Agent({ keepAlive: true, maxSockets: 8 });

beforeAll(async () => {
  h = await startApiHarness();
  operations = listOperations((await h.api('GET', '/openapi.json')).body.paths);
});
afterAll(async () => {
  agent.destroy();
  await h?.close();
});

const ROLES = Object.keys(GRANTS) as Role[];
type Who = Role | 'none';
const WHO: Who[] = [...ROLES, 'none'];
const headersOf = (who: Who): Record<string, string> => (who === 'none' ? {} : { authorization: `Bearer ${LOCAL_API_KEYS[who]}` });
const allowed = (who: Who, op: Operation) => isPublic(op) || (who !== 'none' && mayCall(who, op));

/** One request with the path exactly as given (fetch would normalize dot segments and more). */
function raw(method: string, path: string, headers: Record<string, string>, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = new URL(h.baseUrl);
    const req = httpRequest(
      { host: url.hostname, port: url.port, method, path, agent, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', (err) => reject(new Error(`${method} ${path}: ${err.message}`)));
    req.end(body);
  });
}

/** Handler entries by "operation role", from the API's own counter. */
async function entries(): Promise<Map<string, number>> {
  const res = await fetch(`${h.baseUrl}/metrics`, { headers: { authorization: `Bearer ${LOCAL_API_KEYS.system}` } });
  expect(res.status).toBe(200);
  const counts = new Map<string, number>();
  for (const m of (await res.text()).matchAll(/^xs_api_handler_entries_total\{operation="([^"]+)",role="([^"]+)"\} (\d+)/gm)) {
    counts.set(`${m[1]} ${m[2]}`, Number(m[3]));
  }
  return counts;
}

/**
 * Which operation a path is a spelling of, read from the document alone:
 * percent-decoded once per segment (an encoded slash, a backslash, a percent
 * sign after decoding, a dot or empty segment, a trailing slash: none), then
 * the same segments as a template, literals equal (case and all); literal
 * segments win. Such a spelling must be authorized exactly as that operation:
 * /v1/%63ompanies/x is getCompany's, /v1/accounts/ACTIVATION is
 * getPortalAccount's. Any other spelling must reach no handler.
 */
function resolve(method: string, path: string): Operation | undefined {
  const m = method === 'HEAD' ? 'get' : method.toLowerCase();
  let segs: string[];
  try {
    segs = path.split('/').map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
  if (segs[0] !== '' || segs.slice(1).some((s) => s === '' || s === '.' || s === '..' || /[/\\%]/.test(s))) return undefined;
  const fits = (template: string) => {
    const t = template.split('/');
    return t.length === segs.length && t.every((ts, i) => ts.startsWith('{') || ts === segs[i]);
  };
  const literalFirst = (a: Operation, b: Operation) => {
    const x = a.path.split('/');
    const y = b.path.split('/');
    for (let i = 0; i < x.length; i++) if (x[i]!.startsWith('{') !== y[i]!.startsWith('{')) return x[i]!.startsWith('{') ? 1 : -1;
    return 0;
  };
  const best = operations.filter((op) => fits(op.path)).sort(literalFirst)[0];
  return best && operations.find((op) => op.path === best.path && op.method === m);
}

const oneOf = (statuses: number[], status: number) => statuses.includes(status);

test('the reproduction: the system key cannot decide a contract through /V1/ (or any other spelling); the contract stays undecided', async () => {
  const company = await h.api('POST', '/v1/companies', companyRegistration(new BusinessCalendar(DEFAULT_RULES)));
  expect(company.status).toBe(201);
  const id = company.body.companyId as string;
  const system = { authorization: `Bearer ${LOCAL_API_KEYS.system}` };
  const decision = JSON.stringify({ outcome: 'approved', decidedBy: 'intruder' });
  for (const path of [`/V1/companies/${id}/decision`, `/v1/Companies/${id}/decision`, `/v1/companies/${id}/DECISION`, `/v1/companies/${id}/decision/`, `/v1//companies/${id}/decision`, `/v1/companies/${id}/./decision`, `/v1/companies/x/../${id}/decision`, `/v1/companies%2F${id}/decision`]) {
    expect([path, oneOf([400, 404], await raw('POST', path, system, decision))]).toEqual([path, true]);
  }
  // Percent-encoded letters are decoded, then authorized as the canonical path: refused for this role.
  expect(await raw('POST', `/v1/companies/${id}/%64ecision`, system, decision)).toBe(403);
  expect(await raw('POST', `/v1/companies/${id}/decision`, system, decision)).toBe(403);
  const after = await h.api('GET', `/v1/companies/${id}`);
  expect(after.body.contract.status).not.toBe('approved');
  expect((await entries()).get('decideContract system')).toBeUndefined();
});

test('every operation x every role x every spelling: only the authorized canonical request reaches a handler', async () => {
  expect(operations.length).toBeGreaterThan(40);
  let sent = 0;
  for (const op of operations) {
    const before = await entries();
    // "operation who" -> handler entries these requests must cause; the scrape after them is one itself.
    const expected = new Map<string, number>([['metrics system', 1]]);
    const body = op.method === 'get' ? undefined : '{}';
    const methods = op.method === 'get' ? ['GET', 'HEAD'] : [op.method.toUpperCase()];
    const paths = [concrete(op.path), ...spellings(op.path)];
    expect(paths.length).toBeGreaterThan(10);
    for (const who of WHO) {
      for (const method of methods) {
        const statuses = await Promise.all(paths.map((path) => raw(method, path, headersOf(who), body)));
        sent += paths.length;
        paths.forEach((path, i) => {
          const status = statuses[i]!;
          const target = resolve(method, path);
          const what = [op.operationId, method, who, path, target?.operationId];
          if (!target) {
            // Not the canonical spelling of anything: refused before any handler, whoever asks.
            expect([...what, oneOf([400, 404, 405], status)]).toEqual([...what, true]);
          } else if (allowed(who, target)) {
            const key = `${target.operationId} ${who}`;
            expected.set(key, (expected.get(key) ?? 0) + 1);
            expect([...what, oneOf([401, 403, 405], status) || status >= 500]).toEqual([...what, false]); // a 404 may be the handler's (an unknown ID); the entry count tells
          } else {
            expect([...what, status]).toEqual([...what, who === 'none' ? 401 : 403]);
          }
        });
      }
    }
    const after = await entries();
    // No pair the policy refuses was ever entered (over every operation so far, not only this one) ...
    for (const [pair] of after) {
      const [operationId, who] = pair.split(' ') as [string, Who];
      expect([pair, allowed(who, operations.find((o) => o.operationId === operationId)!)]).toEqual([pair, true]);
    }
    // ... and the only entries are those of the authorized canonical requests, one each.
    for (const key of new Set([...after.keys(), ...expected.keys()])) {
      const delta = (after.get(key) ?? 0) - (before.get(key) ?? 0);
      expect([op.operationId, key, delta]).toEqual([op.operationId, key, expected.get(key) ?? 0]);
    }
    // Every role the policy allows reaches it (canonical, and decoded spellings): the test really exercised the handler.
    for (const who of WHO.filter((w) => w !== 'none' && allowed(w, op) && !isPublic(op))) {
      expect([op.operationId, who, (expected.get(`${op.operationId} ${who}`) ?? 0) >= methods.length]).toEqual([op.operationId, who, true]);
    }
  }
  expect(sent).toBeGreaterThan(5000);
});

test('/metrics needs a back-office or system key and shows nothing without one', async () => {
  const refused: [Record<string, string>, number][] = [
    [{}, 401],
    [{ authorization: 'Bearer not-a-key' }, 401],
    [{ authorization: `Bearer ${LOCAL_API_KEYS['customer-service']}` }, 403],
  ];
  for (const [headers, status] of refused) {
    const res = await fetch(`${h.baseUrl}/metrics`, { headers });
    expect(res.status).toBe(status);
    expect(await res.text()).not.toMatch(/xs_api|local-|caller|process_/);
  }
  for (const role of ['backoffice', 'system'] as const) {
    const res = await fetch(`${h.baseUrl}/metrics`, { headers: { authorization: `Bearer ${LOCAL_API_KEYS[role]}` } });
    expect([role, res.status]).toEqual([role, 200]);
    expect(await res.text()).toMatch(/xs_api_requests_total\{/);
  }
});
