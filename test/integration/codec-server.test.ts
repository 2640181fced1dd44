/**
 * The codec server (codec/server.ts) over real HTTP: Temporal's remote codec
 * protocol, who may call it (every role, with a key and with the sign-in
 * cookie), CORS for the Web UI, and key rotation.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { CODEC_ROLES, createCodecServer, SESSION_COOKIE } from '../../codec/server';
import { EncryptionCodec } from '../../codec/encryption-codec';
import { loadConfig } from '../../config';
import { LOCAL_API_KEYS, ROLES } from '../../config/api-keys';
import type { PayloadKey } from '../../config/payload-keys';

const UI = 'http://127.0.0.1:8233';
const apiKeys = loadConfig({}).api.keys; // the local keys, one per role
const key = (id: string): PayloadKey => ({ id, key: randomBytes(32) });
const VALUE = { pin: '4711', email: 'anna.devries@haulage.example' };
const json = (v: unknown) => {
  const p = defaultPayloadConverter.toPayload(v);
  return { metadata: Object.fromEntries(Object.entries(p.metadata!).map(([k, b]) => [k, Buffer.from(b).toString('base64')])), data: Buffer.from(p.data!).toString('base64') };
};
const valueOf = (p: { metadata: Record<string, string>; data: string }) =>
  defaultPayloadConverter.fromPayload({
    metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data, 'base64'),
  });

const audit: { caller: string; role: string; op: string; payloads: number; namespace?: string }[] = [];
async function start(payloadKeys: PayloadKey[]): Promise<{ url: string; server: Server }> {
  const server = createCodecServer({ payloadKeys, apiKeys, uiOrigins: [UI], audit: (call) => audit.push(call) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
const stop = (server: Server) => new Promise((resolve) => server.close(resolve));

function post(url: string, path: string, payloads: unknown[], headers: Record<string, string> = {}) {
  return fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
    body: JSON.stringify({ payloads }),
  });
}
const asKey = (secret: string) => ({ authorization: `Bearer ${secret}` });

let url: string, server: Server;
const keys = [key('k1')];
beforeAll(async () => ({ url, server } = await start(keys)));
afterAll(() => stop(server));

test('encode then decode round trip over HTTP; what /encode gives is ciphertext', async () => {
  const enc = await post(url, '/encode', [json(VALUE)], asKey(LOCAL_API_KEYS.backoffice));
  expect(enc.status).toBe(200);
  const encoded = ((await enc.json()) as { payloads: { metadata: Record<string, string>; data: string }[] }).payloads;
  expect(Buffer.from(encoded[0]!.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
  expect(Buffer.from(encoded[0]!.data, 'base64').toString('latin1')).not.toContain('4711');
  const dec = await post(url, '/decode', encoded, asKey(LOCAL_API_KEYS['customer-service']));
  expect(dec.status).toBe(200);
  const decoded = ((await dec.json()) as { payloads: { metadata: Record<string, string>; data: string }[] }).payloads;
  expect(valueOf(decoded[0]!)).toEqual(VALUE);
  // Who read payloads is logged, never what they hold.
  expect(audit.slice(-2)).toEqual([
    { caller: 'local-backoffice', role: 'backoffice', op: 'encode', payloads: 1, namespace: 'default' },
    { caller: 'local-customer-service', role: 'customer-service', op: 'decode', payloads: 1, namespace: 'default' },
  ]);
});

test.each(['/encode', '/decode'])('%s: 401 without a key or with a wrong one, 403 for a role without the right, 200 for an operator role', async (path) => {
  const [encoded] = await new EncryptionCodec(keys).encode([defaultPayloadConverter.toPayload(VALUE)]);
  const body = [{ metadata: { encoding: Buffer.from(encoded!.metadata!.encoding!).toString('base64'), 'encryption-key-id': Buffer.from('k1').toString('base64') }, data: Buffer.from(encoded!.data!).toString('base64') }];
  const none = await post(url, path, body);
  expect(none.status).toBe(401);
  expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
  expect(await none.text()).not.toContain('4711');
  expect((await post(url, path, body, asKey('not-a-key-of-this-deployment-at-all'))).status).toBe(401);
  expect((await post(url, path, body, { authorization: 'Basic eDp5' })).status).toBe(401);
  for (const role of ROLES) {
    const res = await post(url, path, body, asKey(LOCAL_API_KEYS[role]));
    expect({ role, status: res.status }).toEqual({ role, status: CODEC_ROLES.includes(role) ? 200 : 403 });
    if (res.status === 403) expect(await res.text()).not.toContain('4711');
  }
  expect((await post(url, path, body, { 'x-api-key': LOCAL_API_KEYS.backoffice })).status).toBe(200);
});

test('CORS: the Web UI origin gets its preflight with credentials; any other origin is refused', async () => {
  const preflight = (origin: string) =>
    fetch(`${url}/decode`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
    });
  const ok = await preflight(UI);
  expect(ok.status).toBe(204);
  expect(ok.headers.get('access-control-allow-origin')).toBe(UI);
  expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
  expect(ok.headers.get('access-control-allow-methods')).toContain('POST');
  expect(ok.headers.get('access-control-allow-headers')).toMatch(/content-type.*x-namespace/);
  const evil = await preflight('http://127.0.0.1:1080');
  expect(evil.status).toBe(403);
  expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  const fromEvil = await post(url, '/decode', [], { origin: 'https://evil.example', ...asKey(LOCAL_API_KEYS.backoffice) });
  expect(fromEvil.status).toBe(403);
  expect(fromEvil.headers.get('access-control-allow-origin')).toBeNull();
  const fromUi = await post(url, '/decode', [], { origin: UI, ...asKey(LOCAL_API_KEYS.backoffice) });
  expect(fromUi.status).toBe(200);
  expect(fromUi.headers.get('access-control-allow-origin')).toBe(UI);
});

test('the sign-in page: an operator key gives an HttpOnly SameSite cookie (not the key) that the Web UI\'s requests carry', async () => {
  const page = await fetch(`${url}/`);
  expect(await page.text()).toContain('<form method="post" action="/session">');
  const signIn = (secret: string) =>
    fetch(`${url}/session`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ key: secret }) });
  expect((await signIn('wrong-key-wrong-key-wrong-key')).headers.get('set-cookie')).toBeNull();
  const system = await signIn(LOCAL_API_KEYS.system);
  expect(system.status).toBe(403);
  expect(system.headers.get('set-cookie')).toBeNull();
  const ok = await signIn(LOCAL_API_KEYS['customer-service']);
  expect(ok.status).toBe(200);
  const cookie = ok.headers.get('set-cookie')!;
  expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=/; Max-Age=28800$`));
  expect(cookie).not.toContain(LOCAL_API_KEYS['customer-service']);
  const session = cookie.split(';')[0]!;
  // As the Web UI sends it with "Include cross-origin credentials": Origin, X-Namespace, the cookie, no key.
  const [encoded] = await new EncryptionCodec(keys).encode([defaultPayloadConverter.toPayload(VALUE)]);
  const body = [{ metadata: Object.fromEntries(Object.entries(encoded!.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(encoded!.data!).toString('base64') }];
  const res = await post(url, '/decode', body, { origin: UI, cookie: session });
  expect(res.status).toBe(200);
  expect(res.headers.get('access-control-allow-credentials')).toBe('true');
  expect(valueOf(((await res.json()) as { payloads: { metadata: Record<string, string>; data: string }[] }).payloads[0]!)).toEqual(VALUE);
  expect((await post(url, '/decode', body, { origin: UI, cookie: `${SESSION_COOKIE}=forged-token` })).status).toBe(401);
});

test('rotation: a payload encrypted with the old key still decodes after a new key is put first', async () => {
  const [oldKey, newKey] = [key('2026-01'), key('2026-07')];
  const before = await start([oldKey]);
  const encOld = (await (await post(before.url, '/encode', [json(VALUE)], asKey(LOCAL_API_KEYS.backoffice))).json()) as { payloads: never[] };
  await stop(before.server);
  const after = await start([newKey, oldKey]);
  try {
    const dec = await post(after.url, '/decode', encOld.payloads, asKey(LOCAL_API_KEYS.backoffice));
    expect(valueOf(((await dec.json()) as { payloads: never[] }).payloads[0]!)).toEqual(VALUE);
    const encNew = (await (await post(after.url, '/encode', [json(VALUE)], asKey(LOCAL_API_KEYS.backoffice))).json()) as { payloads: { metadata: Record<string, string> }[] };
    expect(Buffer.from(encNew.payloads[0]!.metadata['encryption-key-id']!, 'base64').toString()).toBe('2026-07');
    // Without the old key: a clear 422 naming the key ID, not a crash.
    const without = await start([newKey]);
    const res = await post(without.url, '/decode', encOld.payloads, asKey(LOCAL_API_KEYS.backoffice));
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('encrypted with key \\"2026-01\\"');
    await stop(without.server);
  } finally {
    await stop(after.server);
  }
});

test('malformed bodies are 400, other content types 415, unknown paths 404; all problem+json', async () => {
  const auth = asKey(LOCAL_API_KEYS.backoffice);
  const bad = await fetch(`${url}/decode`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: '{"payloads": 3}' });
  expect(bad.status).toBe(400);
  expect(bad.headers.get('content-type')).toBe('application/problem+json');
  expect((await fetch(`${url}/decode`, { method: 'POST', headers: { 'content-type': 'text/plain', ...auth }, body: 'x' })).status).toBe(415);
  expect((await fetch(`${url}/nope`, { headers: auth })).status).toBe(404);
  // proto3 JSON leaves out an empty list, so the CLI sends {} for a message without payloads
  const empty = await fetch(`${url}/decode`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: '{}' });
  expect(await empty.json()).toEqual({ payloads: [] });
});
