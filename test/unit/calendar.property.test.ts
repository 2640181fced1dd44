import fc from 'fast-check';
import { BusinessCalendar, IsoDay } from '../../domain/calendar';
import { DEFAULT_RULES, LocalTime } from '../../domain/rules';

const cal = new BusinessCalendar();
const HOUR = 3_600_000;
const numRuns = 300;

// Days from 2000 to about 2040; instants over the same range.
const dayArb = fc.integer({ min: 0, max: 40 * 365 }).map((i) => cal.addDays('2000-01-01', i));
const workingDayArb = dayArb.map((d) => (cal.isWorkingDay(d) ? d : cal.nextWorkingDay(d)));
const anyInstantArb = fc
  .integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) })
  .map((ms) => new Date(ms));
/** Instants a few milliseconds around the local times where rules change. */
const edgeInstantArb = fc
  .tuple(
    dayArb,
    fc.constantFrom<LocalTime>('00:00', '08:00', '12:59', '13:00', '16:00', '16:29', '16:30', '17:00', '23:59'),
    fc.integer({ min: -2, max: 2 }),
  )
  .map(([day, time, ms]) => new Date(cal.atLocalTime(day, time).getTime() + ms));
const instantArb = fc.oneof(anyInstantArb, edgeInstantArb);

/** Working days in the half-open range (from, to] of calendar days. */
function workingDaysBetween(c: BusinessCalendar, from: IsoDay, to: IsoDay): number {
  let count = 0;
  for (let d = c.addDays(from, 1); d <= to; d = c.addDays(d, 1)) if (c.isWorkingDay(d)) count += 1;
  return count;
}

/** Reference: milliseconds of [a, b) that fall on working days, each day local 00:00 to the next 00:00. */
function workingMsBetween(a: Date, b: Date): number {
  let total = 0;
  for (let d = cal.dayOf(a); d <= cal.dayOf(b); d = cal.addDays(d, 1)) {
    if (!cal.isWorkingDay(d)) continue;
    const start = Math.max(cal.startOfDay(d).getTime(), a.getTime());
    const end = Math.min(cal.startOfDay(cal.addDays(d, 1)).getTime(), b.getTime());
    if (end > start) total += end - start;
  }
  return total;
}

describe('working days', () => {
  test('addWorkingDays lands on a working day, strictly later, with exactly n working days in between', () => {
    fc.assert(
      fc.property(dayArb, fc.integer({ min: 1, max: 40 }), (d, n) => {
        const r = cal.addWorkingDays(d, n);
        expect(cal.isWorkingDay(r)).toBe(true);
        expect(r > d).toBe(true);
        expect(workingDaysBetween(cal, d, r)).toBe(n);
      }),
      { numRuns },
    );
  });

  test('subtractWorkingDays lands on a working day, strictly earlier, with exactly n working days before D', () => {
    fc.assert(
      fc.property(dayArb, fc.integer({ min: 1, max: 40 }), (d, n) => {
        const r = cal.subtractWorkingDays(d, n);
        expect(cal.isWorkingDay(r)).toBe(true);
        expect(r < d).toBe(true);
        // working days in [r, D) = working days in (r - 1, D - 1]
        expect(workingDaysBetween(cal, cal.addDays(r, -1), cal.addDays(d, -1))).toBe(n);
      }),
      { numRuns },
    );
  });

  test('subtracting undoes adding (and the reverse) from a working day', () => {
    fc.assert(
      fc.property(workingDayArb, fc.integer({ min: 0, max: 40 }), (d, n) => {
        expect(cal.subtractWorkingDays(cal.addWorkingDays(d, n), n)).toBe(d);
        expect(cal.addWorkingDays(cal.subtractWorkingDays(d, n), n)).toBe(d);
      }),
      { numRuns },
    );
  });

  test('nextWorkingDay is addWorkingDays(d, 1) and no working day lies between', () => {
    fc.assert(
      fc.property(dayArb, (d) => {
        const next = cal.nextWorkingDay(d);
        expect(next).toBe(cal.addWorkingDays(d, 1));
        for (let x = cal.addDays(d, 1); x < next; x = cal.addDays(x, 1)) expect(cal.isWorkingDay(x)).toBe(false);
      }),
      { numRuns },
    );
  });

  test('extra closure dates are never working days and are skipped', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 60 }).map((i) => cal.addDays('2026-03-01', i)), { maxLength: 15 }),
        fc.integer({ min: 0, max: 30 }).map((i) => cal.addDays('2026-03-01', i)),
        fc.integer({ min: 1, max: 10 }),
        (closures, d, n) => {
          const closed = new BusinessCalendar({ ...DEFAULT_RULES, extraClosureDates: closures });
          for (const c of closures) expect(closed.isWorkingDay(c)).toBe(false);
          const r = closed.addWorkingDays(d, n);
          expect(closures).not.toContain(r);
          expect(workingDaysBetween(closed, d, r)).toBe(n);
        },
      ),
      { numRuns },
    );
  });
});

describe('local time', () => {
  test('dayOf(startOfDay(d)) = d, and dayOf(atLocalTime(d, t)) = d', () => {
    const timeArb = fc
      .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
      .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}` as LocalTime);
    fc.assert(
      fc.property(dayArb, timeArb, (d, t) => {
        expect(cal.dayOf(cal.startOfDay(d))).toBe(d);
        expect(cal.dayOf(cal.atLocalTime(d, t))).toBe(d);
      }),
      { numRuns },
    );
  });
});

describe('working hours', () => {
  const hoursArb = fc.integer({ min: 0, max: 200 * 4 }).map((q) => q / 4);

  test('exactly h working hours run between t and addWorkingHours(t, h), and at least h real hours', () => {
    fc.assert(
      fc.property(instantArb, hoursArb, (t, h) => {
        const r = cal.addWorkingHours(t, h);
        expect(workingMsBetween(t, r)).toBe(h * HOUR);
        expect(r.getTime() - t.getTime()).toBeGreaterThanOrEqual(h * HOUR);
      }),
      { numRuns },
    );
  });

  test('addWorkingHours(t, 24) - t >= 24 h', () => {
    fc.assert(
      fc.property(instantArb, (t) => {
        expect(cal.addWorkingHours(t, 24).getTime() - t.getTime()).toBeGreaterThanOrEqual(24 * HOUR);
      }),
      { numRuns },
    );
  });

  test('addWorkingHours is monotonic in t and in h', () => {
    fc.assert(
      fc.property(instantArb, fc.integer({ min: 0, max: 7 * 24 * HOUR }), hoursArb, hoursArb, (t1, dt, h1, h2) => {
        const t2 = new Date(t1.getTime() + dt);
        expect(cal.addWorkingHours(t2, h1).getTime()).toBeGreaterThanOrEqual(cal.addWorkingHours(t1, h1).getTime());
        const [lo, hi] = h1 <= h2 ? [h1, h2] : [h2, h1];
        expect(cal.addWorkingHours(t1, hi).getTime()).toBeGreaterThanOrEqual(cal.addWorkingHours(t1, lo).getTime());
      }),
      { numRuns },
    );
  });

  test('contractDueAt(t) >= t + 24 h, and the result lies on a working day or at 00:00 right after one', () => {
    fc.assert(
      fc.property(instantArb, (t) => {
        const due = cal.contractDueAt(t);
        expect(due.getTime()).toBeGreaterThanOrEqual(t.getTime() + 24 * HOUR);
        const day = cal.dayOf(due);
        const atMidnight = due.getTime() === cal.startOfDay(day).getTime();
        expect(cal.isWorkingDay(atMidnight ? cal.addDays(day, -1) : day)).toBe(true);
      }),
      { numRuns },
    );
  });
});

describe('delivery plans', () => {
  test('post ships on a working day not before the approval day; delivery is a working day after it', () => {
    fc.assert(
      fc.property(instantArb, fc.constantFrom('NL' as const, 'abroad' as const), (a, dest) => {
        const { shipOn, expectedDeliveryBy } = cal.postPlan(a, dest);
        expect(cal.isWorkingDay(shipOn)).toBe(true);
        expect(shipOn >= cal.dayOf(a)).toBe(true);
        expect(workingDaysBetween(cal, shipOn, expectedDeliveryBy)).toBe(dest === 'NL' ? 5 : 10);
        // ships the same day exactly when A is before 13:00 on a working day
        const sameDay = cal.isWorkingDay(cal.dayOf(a)) && a < cal.atLocalTime(cal.dayOf(a), '13:00');
        expect(shipOn === cal.dayOf(a)).toBe(sameDay);
      }),
      { numRuns },
    );
  });

  test('pickup is ready on a working day; A <= pickupFrom < pickupUntil < holdUntil; to the post after the hold', () => {
    fc.assert(
      fc.property(instantArb, fc.boolean(), (a, urgent) => {
        const p = cal.pickupPlan(a, urgent);
        expect(cal.isWorkingDay(p.readyOn)).toBe(true);
        expect(p.readyOn >= cal.dayOf(a)).toBe(true);
        expect(p.pickupFrom.getTime()).toBeGreaterThanOrEqual(a.getTime());
        expect(p.pickupFrom.getTime()).toBeLessThan(p.pickupUntil.getTime());
        expect(p.holdUntil.getTime()).toBeGreaterThan(p.pickupUntil.getTime());
        expect(cal.dayOf(p.holdUntil)).toBe(cal.addWorkingDays(p.readyOn, 5));
        expect(p.toPostOn).toBe(cal.nextWorkingDay(cal.dayOf(p.holdUntil)));
        expect(cal.isWorkingDay(p.toPostOn)).toBe(true);
      }),
      { numRuns },
    );
  });
});

describe('licence, digest, card', () => {
  test('licence: warning at 09:00 on a working day before E, block at 00:00 after E', () => {
    fc.assert(
      fc.property(dayArb, (e) => {
        const { warnAt, blockAt } = cal.licencePlan(e);
        const warnDay = cal.dayOf(warnAt);
        expect(cal.isWorkingDay(warnDay)).toBe(true);
        expect(warnDay < e).toBe(true);
        expect(cal.toLocalIso(warnAt).slice(10, 19)).toBe('T09:00:00');
        expect(cal.toLocalIso(blockAt)).toMatch(new RegExp(`^${cal.addDays(e, 1)}T00:00:00\\+0[12]:00$`));
        expect(warnAt.getTime()).toBeLessThan(blockAt.getTime());
      }),
      { numRuns },
    );
  });

  test('digest dates are Wednesdays on days 1-7 of each month, at 08:00 local', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1970, max: 2200 }), (year) => {
        const dates = cal.digestDates(year);
        expect(dates).toHaveLength(12);
        dates.forEach((instant, i) => {
          const iso = cal.toLocalIso(instant);
          expect(iso.slice(0, 7)).toBe(`${year}-${String(i + 1).padStart(2, '0')}`);
          expect(Number(iso.slice(8, 10))).toBeLessThanOrEqual(7);
          expect(iso.slice(10, 19)).toBe('T08:00:00');
          expect(new Date(`${iso.slice(0, 10)}T00:00:00Z`).getUTCDay()).toBe(3); // Wednesday
        });
      }),
      { numRuns: 100 }, // 12 dates per run
    );
  });

  test('card expiry keeps the local wall-clock time, 5 years on; the renewal window opens 6 weeks before', () => {
    fc.assert(
      fc.property(instantArb, (a) => {
        const expires = cal.cardExpiresAt(a);
        const [from, to] = [cal.toLocalIso(a), cal.toLocalIso(expires)];
        expect(Number(to.slice(0, 4))).toBe(Number(from.slice(0, 4)) + 5);
        // same HH:mm, unless 5 years on that 02:xx falls in a spring-forward gap (then it moves 1 h later)
        if (from.slice(11, 13) !== '02') expect(to.slice(11, 16)).toBe(from.slice(11, 16));
        const opens = cal.renewalWindowOpensAt(expires);
        expect(cal.addDays(cal.dayOf(opens), 42)).toBe(cal.dayOf(expires));
        expect(opens.getTime()).toBeLessThan(expires.getTime());
      }),
      { numRuns },
    );
  });
});
