import { checkPassword, PasswordViolation } from '../../domain/password-policy';

const codes = (password: string): PasswordViolation[] => checkPassword(password).violations.map((v) => v.code);

describe('checkPassword', () => {
  test.each<[string, PasswordViolation[]]>([
    // accepted
    ['Harb0ur!Ship', []],
    ['Ab1!Ab1!', []], // exactly 8 characters
    ['ab1!XZ9q', []], // 'ab1': letters and digits never form one run
    ['a1b2C3d4!', []],
    ['Xx1 Yy2 Zz', []], // a space is a special character
    ['Zaa1!BBq', []], // 'zaa' is no run: no wrap-around, no repeats
    ['Ééé1!Haven', []], // non-ASCII letters count as letters
    // each violation alone
    ['Ab1!', ['too-short']],
    ['Harb0urShip', ['no-special']],
    ['Harbour!Ship', ['no-digit']],
    ['harb0ur!ship', ['no-upper']],
    ['HARB0UR!SHIP', ['no-lower']],
    ['Xabc1!Pq', ['sequence']],
    ['Hr!CBA7pq', ['sequence']],
    ['Hr!xYz7pq', ['sequence']], // case-insensitive
    ['Hr!123pq', ['sequence']],
    ['Hr!987pq', ['sequence']],
    ['Hr!mnopq5', ['sequence']], // a longer run
    // combinations, always in the order of the policy
    ['', ['too-short', 'no-special', 'no-digit', 'no-upper', 'no-lower']],
    ['abc', ['too-short', 'no-special', 'no-digit', 'no-upper', 'sequence']],
    ['ABCDEFGH', ['no-special', 'no-digit', 'no-lower', 'sequence']],
    ['12345678', ['no-special', 'no-upper', 'no-lower', 'sequence']],
    ['!!!!!!!!', ['no-digit', 'no-upper', 'no-lower']],
    ['harbourship', ['no-special', 'no-digit', 'no-upper']],
    ['ab1!', ['too-short', 'no-upper']],
  ])('%j -> %j', (password, expected) => {
    const result = checkPassword(password);
    expect(result.violations.map((v) => v.code)).toEqual(expected);
    expect(result.ok).toBe(expected.length === 0);
  });

  test('every violation has an English message', () => {
    for (const v of checkPassword('').violations) expect(v.message).toMatch(/^[A-Z].+\.$/);
    expect(checkPassword('Ab1!').violations[0]!.message).toContain('8 characters');
  });

  test.each([
    ['Xabc1!Pq', ['"abc"']],
    ['Hr!xYz7pq', ['"xYz"']],
    ['Hr!mnopq5', ['"mnopq"']],
    ['Q!abc-321', ['"abc"', '"321"']],
    ['Q!1abcba', ['"abc"', '"cba"']], // a run may turn back on its last character
  ])('the sequence message of %j names %j', (password, runs) => {
    const v = checkPassword(password).violations.find((x) => x.code === 'sequence');
    expect(v).toBeDefined();
    for (const r of runs) expect(v!.message).toContain(r);
  });

  test('two-character steps and broken runs are fine', () => {
    expect(codes('Qab!ba1Z')).toEqual([]);
    expect(codes('Qa-bc!12Z')).toEqual([]);
    expect(codes('Q1a2b3c!')).toEqual([]);
  });

  test('length counts characters, not UTF-16 units', () => {
    expect(codes('Ab1!😀😀😀')).toEqual(['too-short']);
    expect(codes('Ab1!😀😀😀😀')).toEqual([]);
  });
});
