/**
 * Section 6 of ../shared/PROCESSES.md: "Password policy: at least 8 characters,
 * at least one special character, at least one digit, upper- and lower-case
 * letters, and no run of 3 consecutive ascending or descending letters
 * (case-insensitive) or digits (abc, CBA, 123, 987 are refused)."
 *
 * Pure: no Node modules. Characters are Unicode code points. A letter is any
 * Unicode letter (\p{L}), a digit any decimal digit (\p{Nd}); a special
 * character is anything else (punctuation, symbols, spaces). Runs are checked on
 * the Latin letters a-z and the digits 0-9, which have an order everyone knows.
 */

export type PasswordViolation = 'too-short' | 'no-special' | 'no-digit' | 'no-upper' | 'no-lower' | 'sequence';

/** A rule's reason in both languages of the portal; `message` is the English one (kept for existing clients). */
export interface Reason {
  de: string;
  en: string;
}

export interface PasswordCheck {
  ok: boolean;
  violations: { code: PasswordViolation; message: string; reason: Reason }[];
}

export const PASSWORD_MIN_LENGTH = 8;
/** Runs of this many consecutive letters or digits are refused. */
export const PASSWORD_MAX_RUN = 3;

/** Every violation of the policy, in the order of the policy. */
export function checkPassword(password: string): PasswordCheck {
  const chars = Array.from(password);
  const violations: PasswordCheck['violations'] = [];
  const add = (code: PasswordViolation, en: string, de: string): void => {
    violations.push({ code, message: en, reason: { de, en } });
  };

  if (chars.length < PASSWORD_MIN_LENGTH) {
    add(
      'too-short',
      `Use at least ${PASSWORD_MIN_LENGTH} characters (this password has ${chars.length}).`,
      `Verwenden Sie mindestens ${PASSWORD_MIN_LENGTH} Zeichen (dieses Passwort hat ${chars.length}).`,
    );
  }
  if (!chars.some((c) => !/[\p{L}\p{Nd}]/u.test(c))) {
    add(
      'no-special',
      'Include at least one special character (anything that is not a letter or a digit).',
      'Verwenden Sie mindestens ein Sonderzeichen (alles, was kein Buchstabe und keine Ziffer ist).',
    );
  }
  if (!chars.some((c) => /\p{Nd}/u.test(c))) add('no-digit', 'Include at least one digit.', 'Verwenden Sie mindestens eine Ziffer.');
  if (!chars.some((c) => /\p{Lu}/u.test(c))) add('no-upper', 'Include at least one upper-case letter.', 'Verwenden Sie mindestens einen Großbuchstaben.');
  if (!chars.some((c) => /\p{Ll}/u.test(c))) add('no-lower', 'Include at least one lower-case letter.', 'Verwenden Sie mindestens einen Kleinbuchstaben.');

  const runs = consecutiveRuns(chars);
  if (runs.length > 0) {
    const quoted = runs.map((r) => `"${r}"`).join(', ');
    add(
      'sequence',
      `Avoid ${PASSWORD_MAX_RUN} or more consecutive ascending or descending letters or digits: ${quoted}.`,
      `Vermeiden Sie ${PASSWORD_MAX_RUN} oder mehr auf- oder absteigend aufeinanderfolgende Buchstaben oder Ziffern: ${quoted}.`,
    );
  }
  return { ok: violations.length === 0, violations };
}

/**
 * The maximal runs of at least PASSWORD_MAX_RUN characters that step by +1 or by -1
 * through a-z (case-insensitive) or 0-9, as written in the password: 'xYz', 'CBA',
 * '1234'. Letters and digits never join one run ('ab1' is fine).
 */
function consecutiveRuns(chars: string[]): string[] {
  const runs: string[] = [];
  let start = 0;
  while (start < chars.length - 1) {
    const step = stepBetween(chars[start]!, chars[start + 1]!);
    if (step === 0) {
      start += 1;
      continue;
    }
    let end = start + 1;
    while (end + 1 < chars.length && stepBetween(chars[end]!, chars[end + 1]!) === step) end += 1;
    if (end - start + 1 >= PASSWORD_MAX_RUN) runs.push(chars.slice(start, end + 1).join(''));
    start = end; // the last character may begin a run in the other direction ('abcba')
  }
  return runs;
}

/** +1 or -1 when b follows or precedes a in a-z (ignoring case) or in 0-9; otherwise 0. */
function stepBetween(a: string, b: string): number {
  const ka = orderKey(a);
  const kb = orderKey(b);
  if (ka === undefined || kb === undefined || ka.kind !== kb.kind) return 0;
  const diff = kb.pos - ka.pos;
  return diff === 1 || diff === -1 ? diff : 0;
}

function orderKey(c: string): { kind: 'letter' | 'digit'; pos: number } | undefined {
  if (/^[a-z]$/i.test(c)) return { kind: 'letter', pos: c.toLowerCase().charCodeAt(0) };
  if (/^[0-9]$/.test(c)) return { kind: 'digit', pos: c.charCodeAt(0) };
  return undefined;
}
