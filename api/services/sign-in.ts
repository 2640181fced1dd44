/**
 * Portal sign-in and the acceptance of the terms of use and the privacy
 * statement (docs/accounts.md).
 *
 * The API checks the password (the hash never leaves it); the account's
 * workflow decides the rest: only an active account signs in, wrong passwords
 * in a row are counted there and lock the account at the configured number.
 * Every refusal, whatever its reason (unknown email, wrong password, pending,
 * lapsed, locked), is the same 401, and costs one scrypt check either way.
 */
import { WorkflowNotFoundError } from '@temporalio/common';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { PortalAccountDoc } from '../../db/models';
import { accountWorkflowId, signInUpdate, type AcceptedVersions, type SignInResult } from '../../workflows/definitions';
import { HttpProblem, unprocessable, type FieldError } from '../errors';
import type { ServiceDeps } from './deps';
import { localVerifier, type HumanCheckVerifier } from './human-check';

/** What the portal's rules need from configuration (TERMS_VERSION, PRIVACY_VERSION, HUMAN_CHECK_VERIFIER). */
export interface PortalSettings {
  termsVersion: string;
  privacyVersion: string;
  humanCheck: HumanCheckVerifier;
}

export const DEFAULT_PORTAL_SETTINGS: PortalSettings = { termsVersion: '2026-01', privacyVersion: '2026-01', humanCheck: localVerifier };

export const DOCUMENTS = ['terms', 'privacy'] as const;
export type Document = (typeof DOCUMENTS)[number];
const DOCUMENT_NAME: Record<Document, string> = { terms: 'terms of use', privacy: 'privacy statement' };

export const currentVersions = (settings: PortalSettings): Record<Document, string> => ({
  terms: settings.termsVersion,
  privacy: settings.privacyVersion,
});

/** Registration: both documents, in their current versions, or one error per document. */
export function acceptanceErrors(settings: PortalSettings, accept: Partial<AcceptedVersions>): FieldError[] {
  const current = currentVersions(settings);
  return DOCUMENTS.filter((doc) => accept[doc] !== current[doc]).map((doc) => ({
    field: `accept.${doc}`,
    message: `must be the current ${DOCUMENT_NAME[doc]}, version ${current[doc]}, shown to and accepted by the user`,
  }));
}

/** The one answer to every refused sign-in. */
export const signInRefused = () =>
  new HttpProblem(401, 'Sign-in refused', 'the email or the password is wrong, or this account cannot sign in now');

type Account = PortalAccountDoc & { _id: string };

export interface SignInDeps {
  deps: ServiceDeps;
  settings: PortalSettings;
  /** The password check with its dummy hash for unknown accounts (accounts.ts, verifyAccountPassword). */
  verifyPassword(accountId: string, password: string): Promise<boolean>;
  view(a: Account): Record<string, unknown>;
}

/** No account has this ID: verifyPassword then checks against its dummy hash, so a miss costs what a check costs. */
const NO_ACCOUNT = 'ac_none';

export function createSignIn({ deps, settings, verifyPassword, view }: SignInDeps) {
  const { PortalAccount } = deps.models;

  return async function signIn(body: { email: string; password: string; accept?: Partial<AcceptedVersions> }) {
    const found = await PortalAccount.findOne({ emailKey: body.email.toLowerCase() }, { passwordHash: 0 }).lean();
    const account = found as Account | null;
    const passwordOk = await verifyPassword(account?._id ?? NO_ACCOUNT, body.password);
    if (!account) throw signInRefused();

    // Documents whose current version the account has not accepted, before or with this request.
    const current = currentVersions(settings);
    const acceptedNow = Object.fromEntries(DOCUMENTS.filter((doc) => body.accept?.[doc] === current[doc]).map((doc) => [doc, current[doc]]));
    const missing = DOCUMENTS.filter((doc) => account.acceptances?.[doc]?.version !== current[doc] && !acceptedNow[doc]);

    let result: SignInResult;
    try {
      result = await deps.temporal.workflow.getHandle(accountWorkflowId(account._id)).executeUpdate(signInUpdate, {
        args: [{ passwordOk, complete: missing.length === 0, ...(Object.keys(acceptedNow).length ? { accepted: acceptedNow } : {}) }],
      });
    } catch (err) {
      // Not active (pending, locked, lapsed) or no workflow: refused like a wrong password.
      if (err instanceof WorkflowUpdateFailedError || err instanceof WorkflowNotFoundError) throw signInRefused();
      throw err;
    }
    if (result.outcome === 'wrong-password') throw signInRefused();
    if (result.outcome === 'acceptance-required') {
      return { status: 'acceptance-required' as const, acceptanceRequired: missing.map((document) => ({ document, version: current[document] })) };
    }
    const acceptances = { ...account.acceptances };
    for (const doc of Object.keys(acceptedNow) as Document[]) acceptances[doc] = { version: current[doc], at: new Date(result.at) };
    return {
      status: 'signed-in' as const,
      signedInAt: result.at,
      ...(result.previousAt ? { previousSignInAt: result.previousAt } : {}),
      account: view({ ...account, status: 'active', lastSignInAt: new Date(result.at), acceptances } as Account),
    };
  };
}

/** Registration's acceptance record: both documents, accepted at registration. */
export function registrationAcceptances(settings: PortalSettings, at: Date) {
  const current = currentVersions(settings);
  return { terms: { version: current.terms, at }, privacy: { version: current.privacy, at } };
}

/** The human check of a password-reset request: 422 unless the verifier accepts the token. */
export async function requireHuman(settings: PortalSettings, token: string, remoteIp?: string): Promise<void> {
  if (!(await settings.humanCheck.verify(token, remoteIp))) {
    throw unprocessable('the human check failed; solve the challenge again', [{ field: 'humanCheckToken', message: 'was not accepted by the human-check provider' }]);
  }
}
