/** Password hashing (api/services/passwords.ts): current parameters, old ones still verify, and which need a rehash. */
import { CURRENT_SCRYPT, hashPassword, needsRehash, parseHash, verifyPassword } from '../../api/services/passwords';

const PASSWORD = 'Harbour#2026!Key';

test('new hashes use OWASP scrypt parameters (N=2^17, r=8, p=1), carried in the hash, and verify', async () => {
  expect(CURRENT_SCRYPT).toEqual({ N: 131072, r: 8, p: 1 });
  const hash = await hashPassword(PASSWORD);
  expect(hash).toMatch(/^scrypt\$131072\$8\$1\$[\w-]{22}\$[\w-]{86}$/);
  expect(await verifyPassword(PASSWORD, hash)).toBe(true);
  expect(await verifyPassword('Harbour#2026!Kez', hash)).toBe(false);
  expect(needsRehash(hash)).toBe(false);
  expect(await hashPassword(PASSWORD)).not.toBe(hash); // a fresh salt each time
});

test('a legacy N=2^15 hash still verifies and is marked for a rehash', async () => {
  const legacy = await hashPassword(PASSWORD, { N: 2 ** 15, r: 8, p: 1 });
  expect(legacy).toMatch(/^scrypt\$32768\$8\$1\$/);
  expect(await verifyPassword(PASSWORD, legacy)).toBe(true);
  expect(needsRehash(legacy)).toBe(true);
});

test.each([
  ['another scheme', 'bcrypt$2b$10$abc'],
  ['N not a power of two', 'scrypt$100000$8$1$c2FsdA$a2V5'],
  ['N above the cap (memory exhaustion)', 'scrypt$4194304$8$1$c2FsdA$a2V5'],
  ['r out of range', 'scrypt$16384$0$1$c2FsdA$a2V5'],
  ['no key', 'scrypt$16384$8$1$c2FsdA$'],
  ['extra fields', 'scrypt$16384$8$1$c2FsdA$a2V5$x'],
])('a stored value that is not a sane scrypt hash (%s) never verifies and needs a rehash', async (_case, stored) => {
  expect(parseHash(stored)).toBeUndefined();
  expect(await verifyPassword(PASSWORD, stored)).toBe(false);
  expect(needsRehash(stored)).toBe(true);
});
