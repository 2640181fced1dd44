/**
 * The API's clients: who may call it, with which role. Keys come from the
 * `API_KEYS` variable as comma-separated `name:role:secret` entries (several
 * per role, so a key can be rotated without downtime). Only the SHA-256 of a
 * secret is kept; the secret itself is never stored, printed or logged: error
 * messages name the entry by position and name.
 *
 * Which operations each role may call is decided in api/security/access-policy.ts.
 */
import { createHash } from 'node:crypto';

export const ROLES = ['backoffice', 'customer-service', 'system', 'portal'] as const;
export type Role = (typeof ROLES)[number];

export interface ApiKey {
  /** Shown in logs and metrics, e.g. "crm-prod" or "scheduler". */
  name: string;
  role: Role;
  /** Hex SHA-256 of the secret. */
  secretSha256: string;
}

export const MIN_SECRET_LENGTH = 24;

export const sha256 = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');

/**
 * The keys of the local stack (development and test only; refused in
 * production). docs/api.md lists them so a new user can call the API at once.
 */
export const LOCAL_API_KEYS = {
  backoffice: 'local-backoffice-key-not-for-production',
  'customer-service': 'local-customer-service-key-not-for-production',
  system: 'local-system-key-not-for-production',
  portal: 'local-portal-key-not-for-production',
} as const satisfies Record<Role, string>;

export const LOCAL_API_KEYS_ENTRY = ROLES.map((role) => `local-${role}:${role}:${LOCAL_API_KEYS[role]}`).join(',');

/** Parses API_KEYS; every problem lands in `problems`, without the secret. */
export function parseApiKeys(raw: string, problems: string[]): ApiKey[] {
  const keys: ApiKey[] = [];
  raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .forEach((entry, i) => {
      const at = `API_KEYS entry ${i + 1}`;
      const [name = '', role = '', ...rest] = entry.split(':');
      const secret = rest.join(':');
      if (!/^[a-z0-9][a-z0-9._-]{0,39}$/i.test(name)) return problems.push(`${at}: must be name:role:secret with a name of letters, digits, . _ -`);
      if (!(ROLES as readonly string[]).includes(role)) return problems.push(`${at} ("${name}"): role must be one of ${ROLES.join(', ')}`);
      if (secret.length < MIN_SECRET_LENGTH || /\s/.test(secret)) {
        return problems.push(`${at} ("${name}"): the secret must be at least ${MIN_SECRET_LENGTH} characters without spaces`);
      }
      if (keys.some((k) => k.name === name)) return problems.push(`${at}: the name "${name}" is used twice`);
      const secretSha256 = sha256(secret);
      if (keys.some((k) => k.secretSha256 === secretSha256)) return problems.push(`${at} ("${name}"): the same secret as another entry`);
      keys.push({ name, role: role as Role, secretSha256 });
    });
  if (!keys.length && !problems.length) problems.push('API_KEYS: no key given');
  return keys;
}

/** The local keys must never guard a production API. */
export function usesLocalKeys(keys: ApiKey[]): boolean {
  const local = new Set(Object.values(LOCAL_API_KEYS).map(sha256));
  return keys.some((k) => local.has(k.secretSha256));
}
