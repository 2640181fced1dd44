/**
 * The keys that encrypt workflow payloads (codec/encryption-codec.ts). They
 * come from `PAYLOAD_KEYS` as comma-separated `id:key` entries, each key 32
 * random bytes in base64 (`openssl rand -base64 32`). The FIRST entry encrypts
 * new payloads; every entry decrypts, so a key is rotated by putting a new one
 * first and keeping the old ones for as long as histories encrypted with them
 * are kept (the namespace's retention). The ID travels in each payload's
 * metadata, never the key; errors name an entry by position and ID only.
 */
import { createHash } from 'node:crypto';

export interface PayloadKey {
  /** Written into every payload it encrypts (metadata `encryption-key-id`). */
  id: string;
  /** 32 bytes, AES-256. */
  key: Buffer;
}

export const PAYLOAD_KEY_BYTES = 32;

/**
 * The key of the local stack (development and test only; refused in
 * production). It is public (it is in this file), so it protects nothing: it
 * only makes local histories look like production's. docs/operations.md names it.
 */
export const LOCAL_PAYLOAD_KEY_ID = 'local-not-for-production';
export const LOCAL_PAYLOAD_KEY = createHash('sha256').update('xs-backoffice local payload key, not for production').digest('base64');
export const LOCAL_PAYLOAD_KEYS_ENTRY = `${LOCAL_PAYLOAD_KEY_ID}:${LOCAL_PAYLOAD_KEY}`;

/** Parses PAYLOAD_KEYS; every problem lands in `problems`, without the key. */
export function parsePayloadKeys(raw: string, problems: string[]): PayloadKey[] {
  const keys: PayloadKey[] = [];
  raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .forEach((entry, i) => {
      const at = `PAYLOAD_KEYS entry ${i + 1}`;
      const colon = entry.indexOf(':');
      const id = colon < 0 ? '' : entry.slice(0, colon);
      const encoded = colon < 0 ? '' : entry.slice(colon + 1);
      if (!/^[a-z0-9][a-z0-9._-]{0,63}$/i.test(id)) return problems.push(`${at}: must be id:base64-key with an ID of letters, digits, . _ -`);
      const key = /^[A-Za-z0-9+/]+={0,2}$/.test(encoded) ? Buffer.from(encoded, 'base64') : Buffer.alloc(0);
      if (key.length !== PAYLOAD_KEY_BYTES || key.toString('base64') !== encoded) {
        return problems.push(`${at} ("${id}"): the key must be ${PAYLOAD_KEY_BYTES} bytes in base64 (openssl rand -base64 32)`);
      }
      if (keys.some((k) => k.id === id)) return problems.push(`${at}: the ID "${id}" is used twice`);
      keys.push({ id, key });
    });
  if (!keys.length && !problems.length) problems.push('PAYLOAD_KEYS: no key given');
  return keys;
}

/** The local key must never protect production data. */
export function usesLocalPayloadKey(keys: PayloadKey[]): boolean {
  return keys.some((k) => k.id === LOCAL_PAYLOAD_KEY_ID || k.key.toString('base64') === LOCAL_PAYLOAD_KEY);
}
