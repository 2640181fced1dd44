/**
 * Password hashing: scrypt (Node's built-in, no native dependency) at OWASP's
 * current minimum, N=2^17, r=8, p=1 (Password Storage Cheat Sheet). The
 * parameters travel with the hash (`scrypt$N$r$p$salt$key`), so a hash made
 * with older parameters still verifies, and `needsRehash` tells the caller to
 * replace it after a successful check (api/services/accounts.ts does).
 *
 * Cost: one hash takes 128 MiB (128 * N * r bytes) and a few hundred
 * milliseconds of one libuv thread; Node runs at most UV_THREADPOOL_SIZE
 * (default 4) at once, so the API needs about 512 MiB of headroom for them.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** What new hashes use; older hashes are upgraded to it at their next successful check. */
export const CURRENT_SCRYPT: Readonly<ScryptParams> = { N: 2 ** 17, r: 8, p: 1 };
const KEY_LENGTH = 64;
/** Refuse parameters that would cost more than this (a tampered record must not exhaust memory). */
const MAX_N = 2 ** 20;

/** scrypt needs 128 * N * r bytes; leave room above it (Node's default limit is 32 MiB). */
const maxmemFor = ({ N, r, p }: ScryptParams): number => 128 * N * r + 128 * r * p + 16 * 1024 * 1024;

function scryptAsync(password: string, salt: Buffer, keyLength: number, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: maxmemFor(params) };
  return new Promise((resolve, reject) => scrypt(password, salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key))));
}

/** `scrypt$N$r$p$salt$key`, salt and key base64url. `params` only for tests that make legacy hashes. */
export async function hashPassword(password: string, params: ScryptParams = CURRENT_SCRYPT): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password.normalize('NFC'), salt, KEY_LENGTH, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** The parameters of a stored hash, or undefined when it is not one this module could have made. */
export function parseHash(stored: string): (ScryptParams & { salt: Buffer; key: Buffer }) | undefined {
  const [scheme, n, r, p, salt, key, ...rest] = stored.split('$');
  const N = Number(n);
  const params = { N, r: Number(r), p: Number(p) };
  const sane =
    scheme === 'scrypt' &&
    rest.length === 0 &&
    Number.isInteger(N) &&
    N > 1 &&
    N <= MAX_N &&
    (N & (N - 1)) === 0 &&
    [params.r, params.p].every((x) => Number.isInteger(x) && x >= 1 && x <= 32) &&
    Boolean(salt) &&
    Boolean(key);
  return sane ? { ...params, salt: Buffer.from(salt!, 'base64url'), key: Buffer.from(key!, 'base64url') } : undefined;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed || parsed.key.length === 0) return false;
  const actual = await scryptAsync(password.normalize('NFC'), parsed.salt, parsed.key.length, parsed);
  return timingSafeEqual(actual, parsed.key);
}

/** True when the hash was made with weaker parameters than CURRENT_SCRYPT (or a shorter key). */
export function needsRehash(stored: string): boolean {
  const parsed = parseHash(stored);
  if (!parsed) return true;
  return parsed.N < CURRENT_SCRYPT.N || parsed.r < CURRENT_SCRYPT.r || parsed.p < CURRENT_SCRYPT.p || parsed.key.length < KEY_LENGTH;
}
