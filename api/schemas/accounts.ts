/** Portal accounts (PROCESSES.md section 6). */
import { z } from 'zod';
import { PASSWORD_VIOLATION_CODES } from '../../domain/password-guessing';
import { email, instant, language, name } from './common';
import { terminalId } from './terminals';
import { ACCOUNT_PHASES, CUSTOMER_NUMBER_PROOFS } from '../../domain/vocabulary';

/** Any string: the policy (domain/password-policy.ts) judges it and lists every violation (422). */
const password = z
  .string()
  .max(256, 'must be at most 256 characters')
  .meta({
    format: 'password',
    description:
      'At least 8 characters with a special character, a digit, upper- and lower-case letters, and no run of 3 ' +
      'consecutive ascending or descending letters or digits (abc, CBA, 123, 987); not containing the name, company name ' +
      "or email's local part, not a common or leaked password, and strong enough (docs/accounts-terminals.md)",
  });
/** The token from the link: 32 random bytes, base64url. */
const token = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'is not a valid link token').meta({ description: 'The token from the link in the email' });
const customerNumber = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9-]{1,20}$/, 'is not a customer number')
  .meta({ description: 'The customer number the company received with its contract approval' });
const by = z.string().trim().min(1, 'is required').max(100).meta({ description: 'Customer-service user ID' });
const phase = z.enum(ACCOUNT_PHASES);
/** A version of the terms of use or the privacy statement, as configured (TERMS_VERSION, PRIVACY_VERSION). */
const version = z.string().trim().min(1).max(40).meta({ description: 'The version the user was shown and accepted' });
const accept = z
  .strictObject({ terms: version, privacy: version })
  .meta({ id: 'Acceptance', description: 'The versions of the terms of use and the privacy statement the user accepted' });

export const registerAccountBody = z
  .strictObject({
    name: name.optional().meta({ description: 'Last name, or company name; or send terminalId instead' }),
    terminalId: terminalId.optional().meta({
      description: 'Instead of a name: a Terminal-ID of an active terminal of the customer number (printed on the terminal)',
    }),
    customerNumber,
    email,
    password,
    language: language.optional().meta({ description: "Language of the emails; default: the company contact's" }),
    accept: accept.meta({ description: 'Both documents must be accepted in their current versions (422 naming the current ones otherwise)' }),
  })
  // Exactly one way to register: OpenAPI cannot say it, so the 400 does (and the description).
  .refine((b) => (b.name === undefined) !== (b.terminalId === undefined), { message: 'send either name or terminalId', path: ['terminalId'] })
  .meta({ id: 'RegisterPortalAccount', description: 'Either name (registration by name) or terminalId (by customer number and Terminal-ID)' });
export type RegisterAccountBody = z.infer<typeof registerAccountBody>;

export const passwordCheckBody = z
  .strictObject({
    password,
    name: z.string().max(200).optional().meta({ description: 'The name the user registers with, if known' }),
    companyName: z.string().max(200).optional().meta({ description: "The user's company name, if known" }),
    email: z.string().max(254).optional().meta({ description: "The user's email address, if known (its local part is checked)" }),
  })
  .meta({ id: 'PasswordCheckRequest' });
export const activateBody = z.strictObject({ token }).meta({ id: 'ActivateAccount' });
export const tokenQuery = z.strictObject({ token });
export const resetRequestBody = z
  .strictObject({
    customerNumber,
    email,
    humanCheckToken: z
      .string()
      .min(1, 'is required')
      .max(4096)
      .meta({ description: "The token the portal's human-check challenge gave (the local verifier accepts `local-human-check-passed`)" }),
  })
  .meta({ id: 'PasswordResetRequest' });
export const signInBody = z
  .strictObject({
    email: email.meta({ description: 'The email the account registered with (any case)' }),
    password: z.string().min(1).max(256).meta({ format: 'password' }),
    accept: z
      .strictObject({ terms: version.optional(), privacy: version.optional() })
      .optional()
      .meta({ description: 'Versions accepted now, after an answer with `acceptanceRequired`' }),
  })
  .meta({ id: 'SignIn' });
export type SignInBody = z.infer<typeof signInBody>;
export const resetConfirmBody = z.strictObject({ token, password }).meta({ id: 'PasswordResetConfirm' });
export const lockBody = z
  .strictObject({ reason: z.string().trim().min(1, 'is required').max(500).meta({ description: 'Told to the account holder' }), by })
  .meta({ id: 'LockAccount' });
export const unlockBody = z.strictObject({ by }).meta({ id: 'UnlockAccount' });
export const accountIdParam = z.strictObject({ accountId: z.string().regex(/^ac_[A-Za-z0-9]{8,40}$/, 'is not an account ID') });

export const passwordCheckResult = z
  .object({
    ok: z.boolean(),
    violations: z.array(
      z.object({
        code: z.enum(PASSWORD_VIOLATION_CODES as [string, ...string[]]),
        message: z.string().meta({ description: 'The reason in English' }),
        reason: z.object({ de: z.string(), en: z.string() }),
      }),
    ),
    strength: z.object({
      score: z.number().int().min(0).max(4).meta({ description: "zxcvbn's estimate: 0 too guessable ... 4 very unguessable" }),
      guessesLog10: z.number().meta({ description: 'log10 of the estimated guesses needed' }),
      required: z.number().int().min(0).max(4).meta({ description: 'The score required (PASSWORD_MIN_STRENGTH)' }),
    }),
  })
  .meta({ id: 'PasswordCheck' });

export const accountView = z
  .object({
    accountId: z.string(),
    status: phase,
    name: z.string(),
    email: z.string(),
    language,
    customerNumber: z.string(),
    customerNumbers: z.array(z.string()).meta({ description: 'Every customer number of the account, the registered one first' }),
    registeredAt: instant,
    activatedAt: instant.optional(),
    lapsedAt: instant.optional(),
    passwordChangedAt: instant.optional(),
    lock: z.object({ reason: z.string(), by: z.string(), at: instant }).optional(),
    lastSignInAt: instant.optional(),
    acceptances: z
      .object({ terms: z.object({ version: z.string(), at: instant }).optional(), privacy: z.object({ version: z.string(), at: instant }).optional() })
      .optional()
      .meta({ description: 'The versions of the terms of use and the privacy statement accepted, and when' }),
    link: z
      .object({ purpose: z.enum(['activation', 'reset']), expiresAt: instant, used: z.boolean() })
      .optional()
      .meta({ description: 'The latest link mailed (its token is never stored or shown)' }),
    workflowId: z.string(),
  })
  .meta({ id: 'PortalAccount' });

export const accountUpdateResult = z.object({ status: phase, at: instant }).meta({ id: 'PortalAccountChange' });

export const signInResult = z
  .discriminatedUnion('status', [
    z.object({
      status: z.literal('signed-in'),
      signedInAt: instant,
      previousSignInAt: instant.optional().meta({ description: 'The sign-in before this one (absent at the first)' }),
      account: accountView,
    }),
    z.object({
      status: z.literal('acceptance-required'),
      acceptanceRequired: z
        .array(z.object({ document: z.enum(['terms', 'privacy']), version: z.string() }))
        .meta({ description: 'Show these and sign in again with `accept`; nobody is signed in yet' }),
    }),
  ])
  .meta({ id: 'SignInResult' });
// ---- several customer numbers (docs/accounts-terminals.md) ----------------------------------

export const addCustomerNumberBody = z
  .strictObject({
    customerNumber,
    terminalId: terminalId.optional().meta({
      description: 'A Terminal-ID of an active terminal of that customer number: added at once. Without it, a confirmation link goes to that customer\'s registered contact',
    }),
  })
  .meta({ id: 'AddCustomerNumber' });
export const customerNumberParam = z.strictObject({ accountId: accountIdParam.shape.accountId, customerNumber });

const terminalMasterData = z.object({
  terminalId: z.string(),
  location: z.string(),
  model: z.string(),
  status: z.enum(['active', 'retired']),
});
export const customerNumbersView = z
  .object({
    accountId: z.string(),
    customerNumbers: z.array(
      z.object({
        customerNumber: z.string(),
        companyName: z.string().optional(),
        registered: z.boolean().meta({ description: 'The number the account registered with (it cannot be removed)' }),
        addedAt: instant.optional(),
        proof: z.enum(CUSTOMER_NUMBER_PROOFS).optional(),
        terminals: z.array(terminalMasterData),
      }),
    ),
    pendingConfirmation: z
      .object({ customerNumber: z.string(), expiresAt: instant })
      .optional()
      .meta({ description: 'A confirmation link mailed to that customer\'s contact, not used yet' }),
  })
  .meta({ id: 'PortalAccountCustomerNumbers' });
export const customerNumberRequested = z
  .object({ customerNumber: z.string(), status: z.literal('confirmation-requested'), message: z.string() })
  .meta({ id: 'CustomerNumberRequested' });
export const customerNumberConfirmed = z.object({ accountId: z.string(), customerNumber: z.string(), at: instant }).meta({ id: 'CustomerNumberConfirmed' });
