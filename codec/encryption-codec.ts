/**
 * The payload codec: every payload the clients and workers hand to Temporal
 * (workflow and activity arguments and results, Update and Signal arguments,
 * query answers, memos, static summaries and details, failure messages) is
 * encrypted here with AES-256-GCM before it leaves the process, so the
 * Temporal server, its database and anyone who exports a history see only
 * ciphertext. Operators read it through the codec server (codec/server.ts).
 *
 * Wire format of an encrypted payload: metadata `encoding: binary/encrypted`
 * and `encryption-key-id: <id>`; data = 12-byte random IV | ciphertext | 16-byte
 * GCM tag, the ciphertext being the original Payload protobuf (metadata and
 * data), so nothing of it stays in clear.
 *
 * Keys (config/payload-keys.ts): the first encrypts, all decrypt, so a key is
 * rotated without making old histories unreadable. Payloads without the
 * encrypted encoding pass through unchanged: histories written before
 * encryption (and the committed replay histories) stay readable.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { PayloadKey } from '../config/payload-keys';

export const ENCODING_ENCRYPTED = 'binary/encrypted';
export const METADATA_ENCODING = 'encoding';
export const METADATA_KEY_ID = 'encryption-key-id';

const IV_BYTES = 12; // the GCM standard nonce; random per payload
const TAG_BYTES = 16;
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | null | undefined): string | undefined => (b ? new TextDecoder().decode(b) : undefined);

/** A payload that cannot be decrypted: an unknown key ID, or data that fails GCM's check. Names the key ID, never a key. */
export class PayloadDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadDecryptionError';
  }
}

export const isEncrypted = (payload: Payload): boolean => text(payload.metadata?.[METADATA_ENCODING]) === ENCODING_ENCRYPTED;

export class EncryptionCodec implements PayloadCodec {
  private readonly active: PayloadKey;
  private readonly byId: Map<string, Buffer>;

  constructor(keys: readonly PayloadKey[]) {
    if (!keys.length) throw new Error('EncryptionCodec: at least one key is needed');
    this.active = keys[0]!;
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => (isEncrypted(payload) ? payload : this.encrypt(payload)));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => (isEncrypted(payload) ? this.decrypt(payload) : payload));
  }

  private encrypt(payload: Payload): Payload {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.active.key, iv);
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return { metadata: { [METADATA_ENCODING]: utf8(ENCODING_ENCRYPTED), [METADATA_KEY_ID]: utf8(this.active.id) }, data };
  }

  private decrypt(payload: Payload): Payload {
    const keyId = text(payload.metadata?.[METADATA_KEY_ID]);
    if (!keyId) throw new PayloadDecryptionError(`an encrypted payload without "${METADATA_KEY_ID}" metadata`);
    const key = this.byId.get(keyId);
    if (!key) {
      throw new PayloadDecryptionError(
        `a payload is encrypted with key "${keyId}", which PAYLOAD_KEYS does not hold (it holds ${[...this.byId.keys()].map((id) => `"${id}"`).join(', ')}): add that key back`,
      );
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError(`an encrypted payload (key "${keyId}") is too short`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain);
    } catch {
      throw new PayloadDecryptionError(`an encrypted payload (key "${keyId}") fails its integrity check: altered, or encrypted with another key of that ID`);
    }
  }
}
