/**
 * The payload codec (codec/encryption-codec.ts) and its keys
 * (config/payload-keys.ts, PAYLOAD_KEYS): what it writes, rotation, and the
 * payloads it must leave alone or refuse.
 */
import { randomBytes } from 'node:crypto';
import { ApplicationFailure, defaultPayloadConverter, type Payload } from '@temporalio/common';
import { decodeOptionalFailureToOptionalError, encodeErrorToFailure } from '@temporalio/common/lib/internal-non-workflow/codec-helpers';
import { loadDataConverter } from '@temporalio/common/lib/internal-non-workflow/data-converter-helpers';
import { dataConverter } from '../../codec/data-converter';
import { EncryptionCodec, ENCODING_ENCRYPTED, METADATA_KEY_ID, PayloadDecryptionError } from '../../codec/encryption-codec';
import { loadConfig } from '../../config';
import { LOCAL_PAYLOAD_KEY_ID, LOCAL_PAYLOAD_KEYS_ENTRY, type PayloadKey } from '../../config/payload-keys';

const key = (id: string): PayloadKey => ({ id, key: randomBytes(32) });
const b64 = (k: PayloadKey) => `${k.id}:${k.key.toString('base64')}`;
const utf8 = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8');
const PERSONAL = { pin: '4711', email: 'anna.devries@haulage.example', name: 'Anna de Vries', idDocument: 'NX4711K23' };
const plain = (): Payload[] => [defaultPayloadConverter.toPayload(PERSONAL), defaultPayloadConverter.toPayload('second')];

describe('the payload codec', () => {
  test('encrypts every payload: nothing of the value, its encoding or its base64 stays readable', async () => {
    const [encoded] = await new EncryptionCodec([key('k1')]).encode(plain());
    expect(utf8(encoded!.metadata!.encoding)).toBe(ENCODING_ENCRYPTED);
    expect(utf8(encoded!.metadata![METADATA_KEY_ID])).toBe('k1');
    expect(Object.keys(encoded!.metadata!).sort()).toEqual(['encoding', METADATA_KEY_ID]);
    const stored = JSON.stringify({ ...encoded, data: Buffer.from(encoded!.data!).toString('base64') }) + utf8(encoded!.data);
    for (const value of [...Object.values(PERSONAL), 'json/plain']) {
      expect(stored).not.toContain(value);
      expect(stored).not.toContain(Buffer.from(value).toString('base64').slice(0, 6));
    }
  });

  test('decodes what it encoded, metadata included', async () => {
    const codec = new EncryptionCodec([key('k1')]);
    const decoded = await codec.decode(await codec.encode(plain()));
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([PERSONAL, 'second']);
    expect(utf8(decoded[0]!.metadata!.encoding)).toBe('json/plain');
  });

  test('a fresh random IV per payload: the same value never gives the same ciphertext', async () => {
    const codec = new EncryptionCodec([key('k1')]);
    const [a] = await codec.encode([defaultPayloadConverter.toPayload('x')]);
    const [b] = await codec.encode([defaultPayloadConverter.toPayload('x')]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
    expect(Buffer.from(a!.data!).subarray(0, 12).equals(Buffer.from(b!.data!).subarray(0, 12))).toBe(false);
  });

  test('rotation: the first key encrypts, every key decrypts, so a payload of the old key stays readable', async () => {
    const [oldKey, newKey] = [key('2026-01'), key('2026-07')];
    const before = await new EncryptionCodec([oldKey]).encode(plain());
    const rotated = new EncryptionCodec([newKey, oldKey]);
    expect((await rotated.decode(before)).map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([PERSONAL, 'second']);
    const after = await rotated.encode(plain());
    expect(after.map((p) => utf8(p.metadata![METADATA_KEY_ID]))).toEqual(['2026-07', '2026-07']);
  });

  test('payloads without the encrypted encoding pass through both ways unchanged (older histories, replay)', async () => {
    const codec = new EncryptionCodec([key('k1')]);
    const payloads = plain();
    expect(await codec.decode(payloads)).toEqual(payloads);
    const encrypted = await codec.encode(payloads);
    expect(await codec.encode(encrypted)).toEqual(encrypted); // never encrypted twice
  });

  test('an unknown key ID is a clear error naming the IDs, never a key', async () => {
    const missing = key('retired');
    const encoded = await new EncryptionCodec([missing]).encode(plain());
    const current = key('current');
    const err = await new EncryptionCodec([current]).decode(encoded).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayloadDecryptionError);
    expect((err as Error).message).toMatch(/encrypted with key "retired", which PAYLOAD_KEYS does not hold \(it holds "current"\)/);
    expect((err as Error).message).not.toContain(current.key.toString('base64'));
  });

  test('altered ciphertext or a different key under the same ID fails the integrity check', async () => {
    const k = key('k1');
    const [encoded] = await new EncryptionCodec([k]).encode(plain());
    const tampered = Buffer.from(encoded!.data!);
    tampered[20] = tampered[20]! ^ 1;
    await expect(new EncryptionCodec([k]).decode([{ ...encoded, data: tampered }])).rejects.toThrow(/fails its integrity check/);
    await expect(new EncryptionCodec([key('k1')]).decode([encoded!])).rejects.toThrow(/fails its integrity check/);
  });
});

describe('PAYLOAD_KEYS', () => {
  test('development and tests get the documented local key', () => {
    expect(loadConfig({}).payloadKeys.map((k) => k.id)).toEqual([LOCAL_PAYLOAD_KEY_ID]);
    expect(loadConfig({ PAYLOAD_KEYS: LOCAL_PAYLOAD_KEYS_ENTRY }).payloadKeys[0]!.key).toHaveLength(32);
  });

  test('several keys, the first one first', () => {
    const [a, b] = [key('a'), key('b')];
    expect(loadConfig({ PAYLOAD_KEYS: `${b64(a)}, ${b64(b)}` }).payloadKeys).toEqual([a, b]);
  });

  test('production needs real keys: none, or the local one among them, refuses to start', () => {
    const apiKeys = 'crm:backoffice:a-secret-of-at-least-24-characters';
    const ACCOUNT_LINK_SECRET = Buffer.alloc(32, 9).toString('base64'); // production needs it too (config.test.ts)
    expect(() => loadConfig({ NODE_ENV: 'production', API_KEYS: apiKeys })).toThrow(/PAYLOAD_KEYS: required in production/);
    expect(() => loadConfig({ NODE_ENV: 'production', API_KEYS: apiKeys, PAYLOAD_KEYS: `${b64(key('new'))},${LOCAL_PAYLOAD_KEYS_ENTRY}` })).toThrow(
      /PAYLOAD_KEYS: the local development key is refused in production/,
    );
    const humanCheck = { HUMAN_CHECK_VERIFIER: 'siteverify', HUMAN_CHECK_VERIFY_URL: 'https://verify.example/siteverify', HUMAN_CHECK_SECRET: 'provider-secret' }; // config.test.ts
    expect(loadConfig({ NODE_ENV: 'production', API_KEYS: apiKeys, PAYLOAD_KEYS: b64(key('p1')), ACCOUNT_LINK_SECRET, ...humanCheck, WORKER_BUILD_ID: 'v1' }).payloadKeys.map((k) => k.id)).toEqual(['p1']);
  });

  test('bad entries are named by position and ID, never with the key', () => {
    const short = randomBytes(16).toString('base64');
    const good = key('ok');
    let message = '';
    try {
      loadConfig({ PAYLOAD_KEYS: `${b64(good)},short:${short},no-colon,${b64(good)},bad id:${good.key.toString('base64')}` });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('PAYLOAD_KEYS entry 2 ("short"): the key must be 32 bytes in base64');
    expect(message).toContain('PAYLOAD_KEYS entry 3: must be id:base64-key');
    expect(message).toContain('PAYLOAD_KEYS entry 4: the ID "ok" is used twice');
    expect(message).toContain('PAYLOAD_KEYS entry 5: must be id:base64-key');
    expect(message).not.toContain(short);
    expect(message).not.toContain(good.key.toString('base64'));
  });
});

/** The same path the SDK takes for a failed activity, workflow or Update (codec/failure-converter.ts). */
describe('failures', () => {
  test('a failure\'s message and stack trace travel encrypted, and come back whole', async () => {
    const converter = loadDataConverter(dataConverter([key('k1')]));
    const error = ApplicationFailure.nonRetryable(`no card user ${PERSONAL.email} (${PERSONAL.name})`, 'CardUserNotFound');
    const failure = await encodeErrorToFailure(converter, error);
    const stored = JSON.stringify(failure, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v));
    expect(failure.message).toBe('Encoded failure');
    expect(failure.applicationFailureInfo?.type).toBe('CardUserNotFound'); // types stay readable: the API maps them
    for (const value of [PERSONAL.email, PERSONAL.name, 'no card user']) expect(stored).not.toContain(value);
    const back = await decodeOptionalFailureToOptionalError(converter, failure);
    expect(back).toBeInstanceOf(ApplicationFailure);
    expect((back as Error).message).toBe(`no card user ${PERSONAL.email} (${PERSONAL.name})`);
  });
});
