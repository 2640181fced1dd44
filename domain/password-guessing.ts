/**
 * Passwords that resist guessing (docs/accounts-terminals.md, issue 12 point 3),
 * on top of the five rules of ./password-policy.ts. The full verdict the API
 * gives for registration, reset and `POST /v1/accounts/password-check`: every
 * violation at once, each with a code and its reason in German and English,
 * and an estimated strength.
 *
 * - `contains-name`, `contains-company`, `contains-email`: the password
 *   contains (ignoring case, and also with separators removed) the holder's
 *   name, the company's name or the email's local part, or any word of them
 *   at least `passwordPersonalMinLength` long (shorter words, like "de" or
 *   "bv", would refuse half the dictionary).
 * - `common-password`: one entry of the common/leaked password list of
 *   @zxcvbn-ts/language-common (about 49,000, from leaked password dumps),
 *   found ignoring case, l33t spellings and reversal, makes up the password
 *   but for at most `passwordCommonMaxExtra` characters ("Password1!").
 * - `too-guessable`: zxcvbn's estimate (score 0-4, log10 of the guesses an
 *   attacker needs) is below `passwordMinStrength`.
 *
 * Pure (no I/O), but not for workflows: the dictionary is a few MB.
 */
import { ZxcvbnFactory, type ZxcvbnResult } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import { checkPassword, type PasswordViolation as BasicViolation, type Reason } from './password-policy';
import { DEFAULT_RULES, type BusinessRules } from './rules';

export type GuessingViolation = 'contains-name' | 'contains-company' | 'contains-email' | 'common-password' | 'too-guessable';
export type PasswordViolationCode = BasicViolation | GuessingViolation;
/** Every code, in the order the verdict lists them. */
export const PASSWORD_VIOLATION_CODES: readonly PasswordViolationCode[] = [
  'too-short',
  'no-special',
  'no-digit',
  'no-upper',
  'no-lower',
  'sequence',
  'contains-name',
  'contains-company',
  'contains-email',
  'common-password',
  'too-guessable',
];

/** What the password must not contain: whatever of it is known. */
export interface PersonalData {
  /** Last name (or company name) the account registers with. */
  name?: string;
  companyName?: string;
  email?: string;
}

export type PasswordRules = Pick<BusinessRules, 'passwordPersonalMinLength' | 'passwordCommonMaxExtra' | 'passwordMinStrength'>;

export interface PasswordVerdict {
  ok: boolean;
  violations: { code: PasswordViolationCode; message: string; reason: Reason }[];
  strength: {
    /** zxcvbn's score: 0 too guessable ... 4 very unguessable. */
    score: number;
    /** log10 of the estimated guesses needed. */
    guessesLog10: number;
    /** The score this deployment requires (PASSWORD_MIN_STRENGTH). */
    required: number;
  };
}

/**
 * The estimate reads at most this many characters, and tries at most this many
 * leetspeak substitutions: its matching grows fast with both (measured: a
 * crafted 256-character password took seconds of CPU on the API's event loop;
 * with these caps a few hundred milliseconds at worst, a usual password a few).
 * Passwords longer than this are judged on their start, which only errs strict.
 */
export const ESTIMATE_MAX_LENGTH = 64;
const ESTIMATE_MAX_L33T_SUBSTITUTIONS = 4;

// Built once per process (about a second: ranking the dictionaries); later checks are fast.
let estimator: ZxcvbnFactory | undefined;
const zxcvbn = (): ZxcvbnFactory =>
  (estimator ??= new ZxcvbnFactory({
    dictionary: { 'passwords-common': dictionary['passwords-common'], 'diceware-common': dictionary['diceware-common'] },
    graphs: adjacencyGraphs,
    maxLength: ESTIMATE_MAX_LENGTH,
    l33tMaxSubstitutions: ESTIMATE_MAX_L33T_SUBSTITUTIONS,
  }));

const PERSONAL: { field: keyof PersonalData; code: GuessingViolation; en: string; de: string }[] = [
  { field: 'name', code: 'contains-name', en: 'your name', de: 'Ihren Namen' },
  { field: 'companyName', code: 'contains-company', en: 'your company name', de: 'Ihren Firmennamen' },
  { field: 'email', code: 'contains-email', en: 'the part of your email address before the @', de: 'den Teil Ihrer E-Mail-Adresse vor dem @' },
];

/** The five rules, the personal data, the common-password list and the strength estimate, every violation at once. */
export function assessPassword(password: string, personal: PersonalData = {}, rules: PasswordRules = DEFAULT_RULES): PasswordVerdict {
  const violations: PasswordVerdict['violations'] = [...checkPassword(password).violations];
  const add = (code: GuessingViolation, en: string, de: string): void => void violations.push({ code, message: en, reason: { de, en } });

  const words: string[] = [];
  for (const p of PERSONAL) {
    const value = p.field === 'email' ? personal.email?.split('@')[0] : personal[p.field];
    const found = value ? personalWords(value, rules.passwordPersonalMinLength) : [];
    words.push(...found);
    if (found.some((w) => containsWord(password, w))) {
      add(p.code, `Do not use ${p.en} in the password.`, `Verwenden Sie nicht ${p.de} im Passwort.`);
    }
  }

  const result = zxcvbn().check(password, words);
  const common = longestCommonMatch(result);
  if (common && Array.from(password).length - Array.from(common).length <= rules.passwordCommonMaxExtra) {
    add(
      'common-password',
      'This password is one of the most commonly used or leaked passwords, barely changed. Choose another.',
      'Dieses Passwort gehört, kaum verändert, zu den am häufigsten verwendeten oder geleakten Passwörtern. Wählen Sie ein anderes.',
    );
  }
  if (result.score < rules.passwordMinStrength) {
    add(
      'too-guessable',
      `This password is too easy to guess (strength ${result.score} of 4, at least ${rules.passwordMinStrength} needed). Make it longer, for instance with a few unrelated words.`,
      `Dieses Passwort ist zu leicht zu erraten (Stärke ${result.score} von 4, mindestens ${rules.passwordMinStrength} nötig). Machen Sie es länger, etwa mit einigen Wörtern, die nichts miteinander zu tun haben.`,
    );
  }
  return {
    ok: violations.length === 0,
    violations,
    strength: { score: result.score, guessesLog10: Math.round(result.guessesLog10 * 100) / 100, required: rules.passwordMinStrength },
  };
}

/** The value and its words (split at anything not a letter or digit), lower-cased, each at least `min` long. */
function personalWords(value: string, min: number): string[] {
  const lower = value.toLowerCase();
  const words = lower.split(/[^\p{L}\p{Nd}]+/u);
  const joined = words.join('');
  return [...new Set([joined, ...words])].filter((w) => Array.from(w).length >= min);
}

/** Ignoring case; also with the password's separators removed ("De-Vries!1" contains "devries"). */
function containsWord(password: string, word: string): boolean {
  const lower = password.toLowerCase();
  return lower.includes(word) || lower.replace(/[^\p{L}\p{Nd}]+/gu, '').includes(word);
}

/** The longest token zxcvbn matched against the common-password list (plain, l33t or reversed). */
function longestCommonMatch(result: ZxcvbnResult): string | undefined {
  let best: string | undefined;
  for (const m of result.sequence) {
    if (m.pattern === 'dictionary' && m.dictionaryName === 'passwords-common' && (!best || m.token.length > best.length)) best = m.token;
  }
  return best;
}
