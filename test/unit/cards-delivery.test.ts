/**
 * The card delivery rules (domain/card-delivery.ts) and the PIN hash
 * (activities/card-production.ts), on fixed dates in Europe/Amsterdam:
 * 2026-12-07 is a Monday; 2026-12-25 (Friday) and 26 are Christmas.
 */
import { hashPin, pinMatches } from '../../activities/card-production';
import { BusinessCalendar } from '../../domain/calendar';
import { approvalMoment, holdToPost, mayCollect, planDelivery, type PickupPlan } from '../../domain/card-delivery';
import { DEFAULT_RULES } from '../../domain/rules';

const calendar = new BusinessCalendar(DEFAULT_RULES);
const at = (day: string, time: `${number}:${number}`) => calendar.atLocalTime(day, time);
const local = (iso: string | undefined) => calendar.toLocalIso(new Date(iso!));

describe('the moment A', () => {
  test('is the later of the two approvals, whoever approved first', () => {
    const early = at('2026-12-07', '09:00').toISOString();
    const late = at('2026-12-07', '14:00').toISOString();
    expect(approvalMoment(early, late)?.toISOString()).toBe(late);
    expect(approvalMoment(late, early)?.toISOString()).toBe(late);
  });

  test('does not exist while one party has not approved', () => {
    expect(approvalMoment(undefined, at('2026-12-07', '09:00').toISOString())).toBeUndefined();
    expect(approvalMoment(at('2026-12-07', '09:00').toISOString(), undefined)).toBeUndefined();
  });
});

describe('post', () => {
  const post = (approvedAt: Date, destination: 'NL' | 'abroad' = 'NL') => planDelivery(calendar, { approvedAt, method: 'post', destination });

  test.each([
    ['approved Monday 12:59 ships Monday, produced at 13:00', '2026-12-07', '12:59', '2026-12-07', '2026-12-14'],
    ['approved Monday 13:00 ships Tuesday', '2026-12-07', '13:00', '2026-12-08', '2026-12-15'],
    ['approved Friday 14:00 ships Monday', '2026-12-11', '14:00', '2026-12-14', '2026-12-21'],
    ['approved Saturday 10:00 ships Monday', '2026-12-12', '10:00', '2026-12-14', '2026-12-21'],
    ['approved Christmas Eve 15:00 ships after Christmas, Monday 28th; New Year delays the delivery', '2026-12-24', '15:00', '2026-12-28', '2027-01-05'],
  ] as const)('%s', (_name, day, time, shipOn, expectedDeliveryBy) => {
    const plan = post(at(day, time));
    expect(plan).toMatchObject({ method: 'post', shipOn, expectedDeliveryBy });
    expect(local(plan.productionAt)).toBe(calendar.toLocalIso(at(shipOn, '13:00')));
  });

  test('abroad, expected delivery is 10 working days after shipping', () => {
    expect(post(at('2026-12-07', '10:00'), 'abroad')).toMatchObject({ shipOn: '2026-12-07', expectedDeliveryBy: '2026-12-21' });
  });
});

describe('pickup at the service point', () => {
  const pickup = (approvedAt: Date, extra: Partial<Parameters<typeof planDelivery>[1]> = {}) =>
    planDelivery(calendar, { approvedAt, method: 'pickup', destination: 'NL', ...extra }) as PickupPlan;

  test('regular, approved before 13:00: ready that day 16:00-17:00, produced at 13:00, held 5 working days', () => {
    const plan = pickup(at('2026-12-07', '11:00'));
    expect(plan).toMatchObject({ readyOn: '2026-12-07', toPostOn: '2026-12-15' });
    expect(local(plan.productionAt)).toBe('2026-12-07T13:00:00+01:00');
    expect(local(plan.pickupFrom)).toBe('2026-12-07T16:00:00+01:00');
    expect(local(plan.pickupUntil)).toBe('2026-12-07T17:00:00+01:00');
    expect(local(plan.holdUntil)).toBe('2026-12-14T17:00:00+01:00');
    expect(plan.arriveBy).toBeUndefined();
  });

  test('regular, approved after 13:00: ready the next working day', () => {
    const plan = pickup(at('2026-12-11', '13:30'));
    expect(plan.readyOn).toBe('2026-12-14');
    expect(local(plan.productionAt)).toBe('2026-12-14T13:00:00+01:00');
    expect(local(plan.pickupFrom)).toBe('2026-12-14T16:00:00+01:00');
  });

  test('urgent before 16:30: ready at once that day until 17:00, produced at once', () => {
    const approvedAt = at('2026-12-07', '16:15');
    const plan = pickup(approvedAt, { method: 'urgent-pickup' });
    expect(plan.readyOn).toBe('2026-12-07');
    expect(plan.productionAt).toBe(approvedAt.toISOString());
    expect(plan.pickupFrom).toBe(approvedAt.toISOString());
    expect(local(plan.pickupUntil)).toBe('2026-12-07T17:00:00+01:00');
  });

  test('urgent after 16:30: ready the next working day from 08:00', () => {
    const plan = pickup(at('2026-12-07', '16:45'), { method: 'urgent-pickup' });
    expect(plan.readyOn).toBe('2026-12-08');
    expect(local(plan.pickupFrom)).toBe('2026-12-08T08:00:00+01:00');
  });

  test('urgent, checked at the service point: the card user must arrive by 16:30 of the ready day', () => {
    const plan = pickup(at('2026-12-07', '10:00'), { method: 'urgent-pickup', checkedAtServicePoint: true });
    expect(local(plan.arriveBy)).toBe('2026-12-07T16:30:00+01:00');
  });

  test('converted to urgent after A: planned from the conversion', () => {
    const convertedToUrgentAt = at('2026-12-07', '15:00');
    const plan = pickup(at('2026-12-04', '14:00'), { method: 'urgent-pickup', convertedToUrgentAt });
    expect(plan).toMatchObject({ readyOn: '2026-12-07', decisiveAt: convertedToUrgentAt.toISOString() });
    expect(plan.productionAt).toBe(convertedToUrgentAt.toISOString());
  });

  test('a hold across Christmas lasts a working day longer, and goes to the post at 08:00 after it', () => {
    const plan = pickup(at('2026-12-21', '10:00'));
    expect(local(plan.holdUntil)).toBe('2026-12-29T17:00:00+01:00');
    expect(plan.toPostOn).toBe('2026-12-30');
    const post = holdToPost(calendar, plan.toPostOn, 'NL');
    expect(calendar.toLocalIso(post.handToPostAt)).toBe('2026-12-30T08:00:00+01:00');
    expect(post).toMatchObject({ shipOn: '2026-12-30', expectedDeliveryBy: '2027-01-07' });
  });
});

describe('who may collect the card', () => {
  const who = { cardUserName: 'Anna de Vries', xsId: 'xs_abcdefgh12', collectorName: 'Jörg Müller' };

  test.each([
    ['the card user by name, whatever the case and spacing', '  anna  DE vries ', true],
    ['the card user by XS-ID', 'xs_abcdefgh12', true],
    ['the named collector, accents or not', 'Jorg Muller', true],
    ['anyone else', 'Piet Bakker', false],
    ['nobody', '   ', false],
  ] as const)('%s', (_name, collectedBy, allowed) => {
    expect(mayCollect(collectedBy, who)).toBe(allowed);
  });

  test('without a named collector only the card user', () => {
    expect(mayCollect('Jörg Müller', { ...who, collectorName: undefined })).toBe(false);
  });
});

describe('the PIN hash', () => {
  test('matches the PIN it was made from, and no other; salted, so two hashes of one PIN differ', async () => {
    const hash = await hashPin('0427');
    expect(hash).toMatch(/^scrypt\$[\w-]+\$[\w-]+$/);
    expect(hash).not.toContain('0427');
    expect(await pinMatches('0427', hash)).toBe(true);
    expect(await pinMatches('0428', hash)).toBe(false);
    expect(await hashPin('0427')).not.toBe(hash);
    expect(await pinMatches('0427', 'garbage')).toBe(false);
  });
});
