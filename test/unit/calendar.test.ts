import { BusinessCalendar, isIsoDay } from '../../domain/calendar';
import { BusinessRules, DEFAULT_RULES, LocalTime } from '../../domain/rules';

const cal = new BusinessCalendar();
/** An instant from a local ISO string with its offset, e.g. '2026-03-06T15:00+01:00'. */
const at = (s: string): Date => {
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) throw new Error(`bad test instant ${s}`);
  return d;
};
const local = (d: Date): string => cal.toLocalIso(d);

describe('isIsoDay', () => {
  test.each([
    ['2026-03-02', true],
    ['2024-02-29', true],
    ['2025-02-29', false],
    ['2026-13-01', false],
    ['2026-04-31', false],
    ['2026-00-10', false],
    ['2026-3-2', false],
    ['2026-03-02T00:00', false],
    [' 2026-03-02', false],
    ['', false],
  ])('%j -> %s', (s, ok) => expect(isIsoDay(s)).toBe(ok));
});

describe('public holidays', () => {
  test.each([
    // Easter Sunday/Monday, Ascension (Easter+39), Whit Sunday/Monday (Easter+49/50)
    [2024, '2024-03-31', '2024-04-01', '2024-05-09', '2024-05-19', '2024-05-20'],
    [2025, '2025-04-20', '2025-04-21', '2025-05-29', '2025-06-08', '2025-06-09'],
    [2026, '2026-04-05', '2026-04-06', '2026-05-14', '2026-05-24', '2026-05-25'],
    [2027, '2027-03-28', '2027-03-29', '2027-05-06', '2027-05-16', '2027-05-17'],
    [2038, '2038-04-25', '2038-04-26', '2038-06-03', '2038-06-13', '2038-06-14'], // latest possible Easter
    [2285, '2285-03-22', '2285-03-23', '2285-04-30', '2285-05-10', '2285-05-11'], // earliest possible Easter
  ])('%i: Easter %s', (_year, easter, easterMonday, ascension, whitSunday, whitMonday) => {
    expect(cal.holidayName(easter)).toBe('Easter Sunday');
    expect(cal.holidayName(easterMonday)).toBe('Easter Monday');
    expect(cal.holidayName(ascension)).toBe('Ascension Day');
    expect(cal.holidayName(whitSunday)).toBe('Whit Sunday');
    expect(cal.holidayName(whitMonday)).toBe('Whit Monday');
    for (const d of [easterMonday, ascension, whitMonday]) expect(cal.isWorkingDay(d)).toBe(false);
    expect(cal.isWorkingDay(cal.addDays(easter, -2))).toBe(true); // Good Friday works by default
  });

  test.each([
    [2014, '2014-04-26'], // 27 April 2014 is a Sunday
    [2024, '2024-04-27'], // a Saturday: stays on the 27th
    [2025, '2025-04-26'], // 27 April 2025 is a Sunday
    [2026, '2026-04-27'],
    [2031, '2031-04-26'], // 27 April 2031 is a Sunday
  ])("King's Day %i is %s", (year, day) => {
    expect(cal.holidayName(day)).toBe("King's Day");
    const other = day.endsWith('26') ? `${year}-04-27` : `${year}-04-26`;
    expect(cal.holidayName(other)).toBeUndefined();
  });

  test.each([
    ['2026-01-01', "New Year's Day"],
    ['2026-12-25', 'Christmas Day'],
    ['2026-12-26', 'Boxing Day'],
    ['2026-04-03', undefined], // Good Friday
    ['2025-05-05', undefined], // Liberation Day (a Monday)
    ['2026-12-24', undefined],
    ['2026-12-31', undefined],
  ])('%s -> %s', (day, name) => expect(cal.holidayName(day)).toBe(name));

  test.each([
    ['2026-03-06', true], // Friday
    ['2026-03-07', false], // Saturday
    ['2026-03-08', false], // Sunday
    ['2026-04-27', false], // King's Day, Monday
    ['2025-05-05', true], // Liberation Day
    ['2026-12-25', false],
    ['2027-01-01', false], // Friday
  ])('isWorkingDay(%s) = %s', (day, ok) => expect(cal.isWorkingDay(day)).toBe(ok));
});

describe('extra closure dates', () => {
  const closed = new BusinessCalendar({ ...DEFAULT_RULES, extraClosureDates: ['2026-04-03', '2025-05-05', '2026-12-25'] });

  test('Good Friday and Liberation Day as closure days', () => {
    expect(closed.holidayName('2026-04-03')).toBe('Closure day');
    expect(closed.isWorkingDay('2026-04-03')).toBe(false);
    expect(closed.isWorkingDay('2025-05-05')).toBe(false);
    expect(closed.holidayName('2026-12-25')).toBe('Christmas Day'); // the public holiday name wins
  });

  test('closures are skipped by working-day arithmetic and plans', () => {
    expect(cal.nextWorkingDay('2026-04-02')).toBe('2026-04-03');
    expect(closed.nextWorkingDay('2026-04-02')).toBe('2026-04-07'); // Good Friday, weekend, Easter Monday
    // approved on Maundy Thursday 13:00: post ships on the next working day
    expect(closed.postPlan(at('2026-04-02T13:00+02:00'), 'NL').shipOn).toBe('2026-04-07');
  });

  test('licence warning when E is the Monday after Easter Monday', () => {
    // E = 2026-04-13. Working days before: 10, 9, 8, 7 April, then Good Friday 3 April (6 April is Easter Monday)
    expect(local(cal.licencePlan('2026-04-13').warnAt)).toBe('2026-04-03T09:00:00+02:00');
    // with Good Friday closed the 5th working day is Maundy Thursday
    expect(local(closed.licencePlan('2026-04-13').warnAt)).toBe('2026-04-02T09:00:00+02:00');
  });
});

describe('working-day arithmetic', () => {
  test.each([
    ['2026-03-06', 0, '2026-03-06'],
    ['2026-03-07', 0, '2026-03-07'], // n = 0 returns the day even when it is not a working day
    ['2026-03-06', 1, '2026-03-09'], // Friday + 1 = Monday
    ['2026-03-07', 1, '2026-03-09'], // Saturday + 1 = Monday
    ['2026-03-06', 5, '2026-03-13'],
    ['2026-05-13', 1, '2026-05-15'], // over Ascension Day
    ['2026-05-20', 5, '2026-05-28'], // over Whit Monday
    ['2025-12-24', 1, '2025-12-29'], // over Christmas, Boxing Day and the weekend
    ['2025-12-31', 1, '2026-01-02'], // over New Year
    ['2025-12-24', 10, '2026-01-12'],
  ])('addWorkingDays(%s, %i) = %s', (day, n, expected) => expect(cal.addWorkingDays(day, n)).toBe(expected));

  test.each([
    ['2026-03-09', 1, '2026-03-06'],
    ['2026-03-08', 1, '2026-03-06'], // strictly before a Sunday
    ['2026-03-06', 0, '2026-03-06'],
    ['2026-05-18', 5, '2026-05-08'], // E Monday after Ascension: 15, 13, 12, 11, 8 May
    ['2026-01-02', 1, '2025-12-31'],
    ['2025-12-29', 1, '2025-12-24'],
  ])('subtractWorkingDays(%s, %i) = %s', (day, n, expected) =>
    expect(cal.subtractWorkingDays(day, n)).toBe(expected),
  );

  test('nextWorkingDay and addDays', () => {
    expect(cal.nextWorkingDay('2026-05-22')).toBe('2026-05-26'); // weekend + Whit Monday
    expect(cal.addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(cal.addDays('2025-02-28', 1)).toBe('2025-03-01');
    expect(cal.addDays('2026-01-01', -1)).toBe('2025-12-31');
  });
});

describe('local time and DST (Europe/Amsterdam)', () => {
  test.each([
    ['2026-03-01T23:30:00Z', '2026-03-02'], // 00:30 local
    ['2026-03-02T22:59:59.999Z', '2026-03-02'],
    ['2026-06-30T22:00:00Z', '2026-07-01'], // 00:00 CEST
    ['2026-06-30T21:59:59.999Z', '2026-06-30'],
  ])('dayOf(%s) = %s', (iso, day) => expect(cal.dayOf(at(iso))).toBe(day));

  test.each([
    ['2026-03-02', '15:00', '2026-03-02T15:00:00+01:00'],
    ['2026-07-01', '08:00', '2026-07-01T08:00:00+02:00'],
    ['2026-03-28', '23:59', '2026-03-28T23:59:00+01:00'],
    ['2026-03-29', '01:59', '2026-03-29T01:59:00+01:00'],
    ['2026-03-29', '02:30', '2026-03-29T03:30:00+02:00'], // spring-forward gap: moved forward one hour
    ['2026-03-29', '03:00', '2026-03-29T03:00:00+02:00'],
    ['2026-10-25', '02:30', '2026-10-25T02:30:00+02:00'], // autumn overlap: the earlier instant
    ['2026-10-25', '03:00', '2026-10-25T03:00:00+01:00'],
  ])('atLocalTime(%s, %s) = %s', (day, time, expected) => {
    const instant = cal.atLocalTime(day, time as LocalTime);
    expect(local(instant)).toBe(expected);
    expect(instant.getTime()).toBe(at(expected).getTime());
  });

  test('startOfDay and toLocalIso', () => {
    expect(cal.startOfDay('2026-03-29').toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(cal.startOfDay('2026-03-30').toISOString()).toBe('2026-03-29T22:00:00.000Z');
    expect(local(at('2026-03-02T14:00:00.999Z'))).toBe('2026-03-02T15:00:00+01:00'); // milliseconds dropped
  });
});

describe('contract SLA: 24 working hours', () => {
  test.each([
    // the two examples of the specification
    ['Friday 15:00', '2026-03-06T15:00+01:00', '2026-03-09T15:00:00+01:00'],
    ['Saturday 10:00', '2026-03-07T10:00+01:00', '2026-03-10T00:00:00+01:00'],
    ['Sunday 23:59', '2026-03-08T23:59+01:00', '2026-03-10T00:00:00+01:00'],
    ['Monday 00:00', '2026-03-09T00:00+01:00', '2026-03-10T00:00:00+01:00'],
    ['Tuesday 09:30', '2026-03-10T09:30+01:00', '2026-03-11T09:30:00+01:00'],
    // ends exactly at the end of a working day before a holiday: 00:00 of the holiday itself
    ['Christmas Eve 00:00', '2025-12-24T00:00+01:00', '2025-12-25T00:00:00+01:00'],
    // Christmas into New Year
    ['Christmas Eve 10:00', '2025-12-24T10:00+01:00', '2025-12-29T10:00:00+01:00'],
    ['New Year\'s Eve 15:00', '2025-12-31T15:00+01:00', '2026-01-02T15:00:00+01:00'],
    ['Christmas Eve 2026 15:00 (Thursday)', '2026-12-24T15:00+01:00', '2026-12-28T15:00:00+01:00'],
    // across the DST weekends
    ['Friday before spring-forward', '2026-03-27T15:00+01:00', '2026-03-30T15:00:00+02:00'],
    ['Friday before fall-back', '2026-10-23T15:00+02:00', '2026-10-26T15:00:00+01:00'],
    ['Saturday on fall-back weekend', '2026-10-24T10:00+02:00', '2026-10-27T00:00:00+01:00'],
    ['Wednesday before Ascension', '2026-05-13T18:00+02:00', '2026-05-15T18:00:00+02:00'],
  ])('%s: %s is due %s', (_label, submitted, due) => {
    expect(local(cal.contractDueAt(at(submitted)))).toBe(due);
  });

  test('a due date spanning 25/26 December and 1 January', () => {
    // 12 h on 24 Dec, then 29, 30, 31 Dec and 2 Jan (4 x 24 h), then 12 h on Monday 5 Jan
    expect(local(cal.addWorkingHours(at('2025-12-24T12:00+01:00'), 120))).toBe('2026-01-05T12:00:00+01:00');
  });

  test('addWorkingHours edge cases', () => {
    const sat = at('2026-03-07T10:00+01:00');
    expect(cal.addWorkingHours(sat, 0).getTime()).toBe(sat.getTime());
    expect(local(cal.addWorkingHours(sat, 0.5))).toBe('2026-03-09T00:30:00+01:00');
    expect(local(cal.addWorkingHours(at('2026-03-06T23:00+01:00'), 1))).toBe('2026-03-07T00:00:00+01:00');
    expect(local(cal.addWorkingHours(at('2026-03-06T23:00+01:00'), 2))).toBe('2026-03-09T01:00:00+01:00');
    // real elapsed time across the spring-forward weekend: Friday 15:00 to Monday 15:00 is 71 h
    const from = at('2026-03-27T15:00+01:00');
    expect(cal.contractDueAt(from).getTime() - from.getTime()).toBe(71 * 3_600_000);
  });

  test('the SLA length comes from the rules', () => {
    const twoDays = new BusinessCalendar({ ...DEFAULT_RULES, contractSlaWorkingHours: 48 });
    expect(local(twoDays.contractDueAt(at('2026-03-06T15:00+01:00')))).toBe('2026-03-10T15:00:00+01:00');
  });
});

describe('post', () => {
  test.each([
    ['Friday 12:59 ships Friday', '2026-03-06T12:59+01:00', 'NL', '2026-03-06', '2026-03-13'],
    ['Friday 13:00 ships Monday', '2026-03-06T13:00+01:00', 'NL', '2026-03-09', '2026-03-16'],
    ['Friday 12:59 abroad', '2026-03-06T12:59+01:00', 'abroad', '2026-03-06', '2026-03-20'],
    ['Friday 13:00 abroad', '2026-03-06T13:00+01:00', 'abroad', '2026-03-09', '2026-03-23'],
    ['last millisecond before the cut-off', '2026-03-06T12:59:59.999+01:00', 'NL', '2026-03-06', '2026-03-13'],
    ['exactly the cut-off', '2026-03-06T13:00:00.000+01:00', 'NL', '2026-03-09', '2026-03-16'],
    ['day before Ascension 12:59', '2026-05-13T12:59+02:00', 'NL', '2026-05-13', '2026-05-21'],
    ['day before Ascension 13:00', '2026-05-13T13:00+02:00', 'NL', '2026-05-15', '2026-05-22'],
    ['Saturday morning', '2026-03-07T09:00+01:00', 'NL', '2026-03-09', '2026-03-16'],
    ["King's Day morning", '2026-04-27T09:00+02:00', 'NL', '2026-04-28', '2026-05-05'],
    ['just after midnight', '2026-03-09T00:00+01:00', 'NL', '2026-03-09', '2026-03-16'],
    ['Christmas Eve 13:00', '2025-12-24T13:00+01:00', 'abroad', '2025-12-29', '2026-01-13'],
  ] as const)('%s', (_label, approved, destination, shipOn, expectedDeliveryBy) => {
    expect(cal.postPlan(at(approved), destination)).toEqual({ shipOn, expectedDeliveryBy });
  });
});

describe('pickup', () => {
  test.each([
    // regular: cut-off 13:00, collect 16:00-17:00
    ['regular Friday 12:59', '2026-03-06T12:59+01:00', false, '2026-03-06', '2026-03-06T16:00:00+01:00'],
    ['regular Friday 13:00', '2026-03-06T13:00+01:00', false, '2026-03-09', '2026-03-09T16:00:00+01:00'],
    ['regular before Ascension 12:59', '2026-05-13T12:59+02:00', false, '2026-05-13', '2026-05-13T16:00:00+02:00'],
    ['regular before Ascension 13:00', '2026-05-13T13:00+02:00', false, '2026-05-15', '2026-05-15T16:00:00+02:00'],
    // urgent: cut-off 16:30, from A the same day, from opening time on a later day
    ['urgent Friday 16:29', '2026-03-06T16:29+01:00', true, '2026-03-06', '2026-03-06T16:29:00+01:00'],
    ['urgent Friday 16:30', '2026-03-06T16:30+01:00', true, '2026-03-09', '2026-03-09T08:00:00+01:00'],
    ['urgent 16:29:59.999', '2026-03-06T16:29:59.999+01:00', true, '2026-03-06', '2026-03-06T16:29:59+01:00'],
    ['urgent before Ascension 16:29', '2026-05-13T16:29+02:00', true, '2026-05-13', '2026-05-13T16:29:00+02:00'],
    ['urgent before Ascension 16:30', '2026-05-13T16:30+02:00', true, '2026-05-15', '2026-05-15T08:00:00+02:00'],
    ['urgent on a Sunday', '2026-03-08T11:00+01:00', true, '2026-03-09', '2026-03-09T08:00:00+01:00'],
  ] as const)('%s', (_label, approved, urgent, readyOn, pickupFrom) => {
    const plan = cal.pickupPlan(at(approved), urgent);
    expect(plan.readyOn).toBe(readyOn);
    expect(local(plan.pickupFrom)).toBe(pickupFrom);
    expect(local(plan.pickupUntil)).toBe(local(cal.atLocalTime(readyOn, '17:00')));
  });

  test('same-day urgent pickupFrom is exactly A', () => {
    const a = at('2026-03-06T16:29:59.999+01:00');
    expect(cal.pickupPlan(a, true).pickupFrom.getTime()).toBe(a.getTime());
  });

  test.each([
    // ready Monday: held through Monday + 5 working days = next Monday 17:00, to the post Tuesday
    ['plain week', '2026-03-09T10:00+01:00', '2026-03-16T17:00:00+01:00', '2026-03-17'],
    // ready Wednesday 20 May: 21, 22, (Whit Monday 25), 26, 27, 28
    ['across Whit Monday', '2026-05-20T10:00+02:00', '2026-05-28T17:00:00+02:00', '2026-05-29'],
    // ready Friday 15 May: held until Friday 22 May, to the post after Whit Monday
    ['to the post after a holiday', '2026-05-15T10:00+02:00', '2026-05-22T17:00:00+02:00', '2026-05-26'],
    // ready 23 Dec 2025: 24, 29, 30, 31 Dec, 2 Jan
    ['across Christmas and New Year', '2025-12-23T10:00+01:00', '2026-01-02T17:00:00+01:00', '2026-01-05'],
    // ready Friday 20 March: held into the first CEST week
    ['across the DST switch', '2026-03-20T10:00+01:00', '2026-03-27T17:00:00+01:00', '2026-03-30'],
    ['across the DST switch, later', '2026-03-23T10:00+01:00', '2026-03-30T17:00:00+02:00', '2026-03-31'],
  ])('hold %s', (_label, approved, holdUntil, toPostOn) => {
    const plan = cal.pickupPlan(at(approved), false);
    expect(local(plan.holdUntil)).toBe(holdUntil);
    expect(plan.toPostOn).toBe(toPostOn);
  });
});

describe('licence watch', () => {
  test.each([
    // E Monday after Ascension (14 May): 15, 13, 12, 11, 8 May
    ['2026-05-18', '2026-05-08T09:00:00+02:00', '2026-05-19T00:00:00+02:00'],
    // E Tuesday after Whit Monday: 22, 21, 20, 19, 18 May
    ['2026-05-26', '2026-05-18T09:00:00+02:00', '2026-05-27T00:00:00+02:00'],
    // DST: warning in CET, block in CEST
    ['2026-03-31', '2026-03-24T09:00:00+01:00', '2026-04-01T00:00:00+02:00'],
    // DST: warning in CEST, block in CET
    ['2026-10-28', '2026-10-21T09:00:00+02:00', '2026-10-29T00:00:00+01:00'],
    // E the Saturday before spring-forward: the block is at midnight before the switch
    ['2026-03-28', '2026-03-23T09:00:00+01:00', '2026-03-29T00:00:00+01:00'],
    ['2026-03-29', '2026-03-23T09:00:00+01:00', '2026-03-30T00:00:00+02:00'],
    // E on New Year's Day: 31, 30, 29, 24, 23 Dec
    ['2026-01-01', '2025-12-23T09:00:00+01:00', '2026-01-02T00:00:00+01:00'],
  ])('licence valid through %s', (expiresOn, warnAt, blockAt) => {
    const plan = cal.licencePlan(expiresOn);
    expect(local(plan.warnAt)).toBe(warnAt);
    expect(local(plan.blockAt)).toBe(blockAt);
  });

  test('blockAt is an instant: 23 h after the 00:00 before spring-forward', () => {
    const a = cal.licencePlan('2026-03-28').blockAt.getTime();
    const b = cal.licencePlan('2026-03-29').blockAt.getTime();
    expect(b - a).toBe(23 * 3_600_000);
  });
});

describe('monthly digest', () => {
  test.each([
    [2026, 4, '2026-04-01'], // April 2026 starts on a Wednesday
    [2025, 10, '2025-10-01'], // so does October 2025
    [2026, 1, '2026-01-07'], // January 2026 starts on a Thursday
    [2026, 10, '2026-10-07'], // so does October 2026
    [2026, 3, '2026-03-04'], // starts on a Sunday
    [2026, 9, '2026-09-02'], // starts on a Tuesday
    [2025, 1, '2025-01-01'], // New Year's Day: the digest is not moved for holidays
  ])('firstWednesday(%i, %i) = %s', (year, month, day) => expect(cal.firstWednesday(year, month)).toBe(day));

  test('digest at 08:00 local, CET and CEST', () => {
    expect(local(cal.digestAt(2026, 1))).toBe('2026-01-07T08:00:00+01:00');
    expect(local(cal.digestAt(2026, 4))).toBe('2026-04-01T08:00:00+02:00');
    const dates = cal.digestDates(2026).map(local);
    expect(dates).toHaveLength(12);
    expect(dates[0]).toBe('2026-01-07T08:00:00+01:00');
    expect(dates[11]).toBe('2026-12-02T08:00:00+01:00');
  });
});

describe('card validity and renewal', () => {
  test.each([
    ['2026-06-15T10:00+02:00', '2031-06-15T10:00:00+02:00'],
    ['2026-01-15T10:00+01:00', '2031-01-15T10:00:00+01:00'],
    ['2024-02-29T10:00+01:00', '2029-02-28T10:00:00+01:00'], // leap day
    ['2028-03-29T23:30+02:00', '2033-03-29T23:30:00+02:00'],
  ])('activated %s expires %s', (activated, expires) => {
    expect(local(cal.cardExpiresAt(at(activated)))).toBe(expires);
  });

  test.each([
    ['2031-06-15T10:00+02:00', '2031-05-04T10:00:00+02:00'],
    ['2031-04-30T10:00+02:00', '2031-03-19T10:00:00+01:00'], // same wall-clock time across DST
  ])('renewal window for %s opens %s', (expires, opens) => {
    expect(local(cal.renewalWindowOpensAt(at(expires)))).toBe(opens);
  });
});

describe('input validation', () => {
  const invalidDate = new Date(NaN);
  test.each<[string, () => unknown]>([
    ['invalid IsoDay', () => cal.isWorkingDay('2025-02-29')],
    ['malformed IsoDay', () => cal.addWorkingDays('2025/01/01', 1)],
    ['invalid IsoDay in holidayName', () => cal.holidayName('tomorrow')],
    ['invalid Date', () => cal.dayOf(invalidDate)],
    ['invalid Date in plans', () => cal.postPlan(invalidDate, 'NL')],
    ['invalid Date in SLA', () => cal.contractDueAt(invalidDate)],
    ['negative n', () => cal.addWorkingDays('2026-03-02', -1)],
    ['negative n backwards', () => cal.subtractWorkingDays('2026-03-02', -1)],
    ['fractional n', () => cal.addWorkingDays('2026-03-02', 1.5)],
    ['negative hours', () => cal.addWorkingHours(at('2026-03-02T10:00+01:00'), -1)],
    ['infinite hours', () => cal.addWorkingHours(at('2026-03-02T10:00+01:00'), Infinity)],
    ['malformed LocalTime 9:00', () => cal.atLocalTime('2026-03-02', '9:00' as LocalTime)],
    ['malformed LocalTime 24:00', () => cal.atLocalTime('2026-03-02', '24:00')],
    ['malformed LocalTime 12:60', () => cal.atLocalTime('2026-03-02', '12:60')],
    ['month 13', () => cal.firstWednesday(2026, 13)],
    ['month 0', () => cal.digestAt(2026, 0)],
    ['bad destination', () => cal.postPlan(at('2026-03-02T10:00+01:00'), 'mars' as 'NL')],
  ])('%s throws RangeError', (_label, fn) => expect(fn).toThrow(RangeError));

  test('the error message names the bad value', () => {
    expect(() => cal.isWorkingDay('2025-02-29')).toThrow(/2025-02-29/);
    expect(() => cal.atLocalTime('2026-03-02', '7:5' as LocalTime)).toThrow(/LocalTime "7:5"/);
  });

  test.each<[string, Partial<BusinessRules>]>([
    ['unknown time zone', { timeZone: 'Europe/Atlantis' }],
    ['bad closure date', { extraClosureDates: ['2026-02-30'] }],
    ['bad cut-off', { regularCutOff: '1300' as LocalTime }],
    ['negative hold', { pickupHoldWorkingDays: -1 }],
  ])('bad rules (%s) are refused at construction', (_label, patch) => {
    expect(() => new BusinessCalendar({ ...DEFAULT_RULES, ...patch })).toThrow(RangeError);
  });
});
