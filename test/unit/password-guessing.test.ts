import { assessPassword, PASSWORD_VIOLATION_CODES, type PasswordViolationCode, type PersonalData } from '../../domain/password-guessing';
import { DEFAULT_RULES } from '../../domain/rules';

const ANNA = { name: 'de Vries', companyName: 'Rotterdam Haulage B.V.', email: 'anna.jansen@haulage.example' };
const codes = (password: string, personal: PersonalData = ANNA): PasswordViolationCode[] => assessPassword(password, personal).violations.map((v) => v.code);

describe('assessPassword: the rules beyond the five', () => {
  test.each<[string, PasswordViolationCode[]]>([
    // accepted: long, unrelated to the holder, on no list
    ['Quay$7Lamp&Tide', []],
    ['Correct-Horse-Battery-9', []],
    // the holder's name, whole or a word of it (>= 4 characters), ignoring case and separators
    ['Gull$7Vries&Tide', ['contains-name']],
    ['Gull$7-De-Vries&Tide', ['contains-name']],
    ['Gull$7DEVRIES&Tide', ['contains-name']],
    ['Gull$7De&Tide9', []], // "de" is shorter than passwordPersonalMinLength
    // the company's name
    ['Gull$7Haulage&Tide', ['contains-company']],
    ['Gull$7rotterdam&Tide', ['contains-company']],
    // the email's local part (not the domain)
    ['Gull$7Jansen&Tide', ['contains-email']],
    ['Gull$7Anna.Jansen&Tide', ['contains-email']],
    // common or leaked passwords, barely changed (case, l33t, a few characters added)
    ['P@ssw0rd1!', ['common-password', 'too-guessable']],
    ['Welcome1!', ['common-password', 'too-guessable']],
    ['Dragon#9x', ['common-password', 'too-guessable']],
    // too guessable for the required score: a keyboard pattern, or a listed word with more than a few characters added
    ['Zaq1@Wsx', ['too-guessable']],
    ['Football#7x2', ['too-guessable']],
    // every rule at once, in the order of PASSWORD_VIOLATION_CODES
    ['vries', ['too-short', 'no-special', 'no-digit', 'no-upper', 'contains-name', 'too-guessable']],
  ])('%j -> %j', (password, expected) => {
    const verdict = assessPassword(password, ANNA);
    expect(verdict.violations.map((v) => v.code)).toEqual(expected);
    expect(verdict.ok).toBe(expected.length === 0);
  });

  test('each code is produced by some password and listed in order', () => {
    const seen = new Set<PasswordViolationCode>();
    for (const p of ['', 'abc', 'Gull$7Vries&Haulage&Jansen', 'Password1!', 'vries']) for (const c of codes(p)) seen.add(c);
    expect([...seen].sort()).toEqual([...PASSWORD_VIOLATION_CODES].sort());
    const all = codes('abc1vrieshaulagejansen');
    expect(all).toEqual(PASSWORD_VIOLATION_CODES.filter((c) => all.includes(c)));
  });

  test('every violation has a German and an English reason; message is the English one', () => {
    for (const v of assessPassword('vries', ANNA).violations) {
      expect(v.reason.en).toMatch(/^[A-Z].+\.$/);
      expect(v.reason.de).toMatch(/^[A-ZÄÖÜ].+\.$/);
      expect(v.reason.de).not.toEqual(v.reason.en);
      expect(v.message).toBe(v.reason.en);
    }
  });

  test('without personal data only the list and the estimate judge', () => {
    expect(codes('Gull$7Vries&Tide', {})).toEqual([]);
  });

  test('the strength is reported, with the score required; the numbers come from the rules', () => {
    const strong = assessPassword('Quay$7Lamp&Tide', ANNA);
    expect(strong.strength).toEqual({ score: 4, guessesLog10: expect.any(Number), required: DEFAULT_RULES.passwordMinStrength });
    expect(strong.strength.guessesLog10).toBeGreaterThan(10);
    const lenient = { ...DEFAULT_RULES, passwordMinStrength: 2, passwordCommonMaxExtra: 0, passwordPersonalMinLength: 2 };
    expect(assessPassword('Zaq1@Wsx', ANNA, lenient).violations).toEqual([]);
    expect(assessPassword('Welcome1!x', ANNA, lenient).violations.map((v) => v.code)).not.toContain('common-password');
    expect(assessPassword('Gull$7De&Tide9', ANNA, lenient).violations.map((v) => v.code)).toEqual(['contains-name']);
  });

  test('the longest passwords the API accepts, crafted to be slow to estimate, are judged quickly', () => {
    assessPassword('warm-up', ANNA); // builds the dictionaries once per process
    for (const long of ['Aa1!'.repeat(64), 'P@ssw0rd'.repeat(32), '4@1!3$0|7#'.repeat(25)]) {
      const start = performance.now();
      assessPassword(long, ANNA);
      expect(performance.now() - start).toBeLessThan(1500);
    }
  });
});
