/**
 * The secret that account links' tokens are derived from (activities/accounts.ts):
 * token = HMAC-SHA256(secret, accountId|purpose|issue|nonce), with a random nonce
 * stored on the account. The database holds only the nonce and the token's
 * SHA-256, so neither it nor workflow history can give a token away, while a
 * retry after an uncertain send re-derives the SAME token and mails the same
 * link again. From `ACCOUNT_LINK_SECRET`: 32 random bytes in base64
 * (`openssl rand -base64 32`). Rotating it makes links not yet delivered
 * underivable: their retries send nothing (as before this secret existed).
 */
import { createHash } from 'node:crypto';

export const LINK_SECRET_BYTES = 32;

/** The secret of the local stack (development and test only; refused in production). It is public. */
export const LOCAL_LINK_SECRET = createHash('sha256').update('xs-backoffice local account link secret, not for production').digest();

/** Parses ACCOUNT_LINK_SECRET; a problem lands in `problems`, without the secret. */
export function parseLinkSecret(raw: string | undefined, problems: string[]): Buffer {
  if (raw === undefined) return LOCAL_LINK_SECRET;
  const secret = /^[A-Za-z0-9+/]+={0,2}$/.test(raw) ? Buffer.from(raw, 'base64') : Buffer.alloc(0);
  if (secret.length !== LINK_SECRET_BYTES || secret.toString('base64') !== raw) {
    problems.push(`ACCOUNT_LINK_SECRET: must be ${LINK_SECRET_BYTES} bytes in base64 (openssl rand -base64 32)`);
  }
  return secret;
}

export const usesLocalLinkSecret = (secret: Buffer): boolean => secret.equals(LOCAL_LINK_SECRET);
