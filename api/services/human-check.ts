/**
 * The human check of "Forgotten password" (seed 002: "bestätigen Sie ..., dass
 * Sie ein echter Nutzer sind"). The portal shows its challenge provider's
 * widget and sends the token the widget gives it; a verifier decides whether
 * the token is good. Which verifier runs is configuration
 * (HUMAN_CHECK_VERIFIER, validated in config/):
 *
 * - `local`: for tests and `make up`. Accepts exactly LOCAL_HUMAN_CHECK_TOKEN,
 *   so a user trying the stack with curl can pass it and a wrong token fails
 *   as it would in production. Refused in production: it proves nothing.
 * - `siteverify`: the protocol reCAPTCHA, hCaptcha and Cloudflare Turnstile
 *   share: POST `secret`, `response` (the token) and `remoteip` as a form to
 *   the provider's verify URL; the answer's `success` decides.
 *   HUMAN_CHECK_VERIFY_URL and HUMAN_CHECK_SECRET.
 *
 * A provider that cannot be reached is not the user's fault: the request
 * fails as a 503 (retry), not as a wrong token.
 */
import { HttpProblem } from '../errors';

export interface HumanCheckVerifier {
  readonly name: string;
  /** true: a human passed the challenge; false: the token is not good. Throws when the provider cannot answer. */
  verify(token: string, remoteIp?: string): Promise<boolean>;
}

export type HumanCheckConfig = { verifier: 'local' } | { verifier: 'siteverify'; verifyUrl: string; secret: string };

/** The one token the local verifier accepts (docs/api.md: the curl walk). */
export const LOCAL_HUMAN_CHECK_TOKEN = 'local-human-check-passed';

export const localVerifier: HumanCheckVerifier = {
  name: 'local',
  verify: async (token) => token === LOCAL_HUMAN_CHECK_TOKEN,
};

const PROVIDER_TIMEOUT_MS = 5_000;

export function siteverifyVerifier(verifyUrl: string, secret: string): HumanCheckVerifier {
  return {
    name: 'siteverify',
    async verify(token, remoteIp) {
      const form = new URLSearchParams({ secret, response: token, ...(remoteIp ? { remoteip: remoteIp } : {}) });
      let answer: { success?: unknown };
      try {
        const res = await fetch(verifyUrl, { method: 'POST', body: form, signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS) });
        if (!res.ok) throw new Error(`the provider answered ${res.status}`);
        answer = (await res.json()) as { success?: unknown };
      } catch (err) {
        throw new HttpProblem(503, 'Service unavailable', `the human check could not be verified just now; retry (${(err as Error).message})`);
      }
      return answer.success === true;
    },
  };
}

export function createHumanCheckVerifier(config: HumanCheckConfig): HumanCheckVerifier {
  return config.verifier === 'local' ? localVerifier : siteverifyVerifier(config.verifyUrl, config.secret);
}
