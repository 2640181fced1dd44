import { BusinessCalendar } from '../../domain/calendar';
import {
  countOpenItems,
  digestEmail,
  formatDay,
  isFuturePeriod,
  isPeriod,
  NO_OPEN_ITEMS,
  outsideDigestWindow,
  periodLabel,
  periodOf,
  type DigestInput,
  type OpenItems,
} from '../../domain/digest';
import { DEFAULT_RULES } from '../../domain/rules';
import { renderEmail } from '../../email/templates';
import { digestTemplateData } from '../../email/templates/digest';

const cal = new BusinessCalendar(DEFAULT_RULES);

const ALL_KINDS: OpenItems = {
  contractPending: { submittedOn: '2026-02-27', dueOn: '2026-03-03' },
  applications: [
    { applicationId: 'ap_1', cardType: 'CargoCard', holder: 'Jan Jansen', submittedOn: '2026-02-20', waitingFor: 'card-user' },
    { applicationId: 'ap_2', cardType: 'PortKey', holder: 'Eva Smit', submittedOn: '2026-02-21', waitingFor: 'both' },
  ],
  heldCards: [{ cardNumber: 'XS100', cardType: 'CargoCard', holder: 'Piet Bakker', day: '2026-02-26' }],
  expiringCards: [{ cardNumber: 'XS200', cardType: 'PortKey', holder: 'Anna de Vries', day: '2026-04-01' }],
  expiredCards: [{ cardNumber: 'XS300', cardType: 'DigitalSafetyPassport', holder: 'Kees Visser', day: '2026-02-01' }],
  licence: { number: 'NIWO-42', expiresOn: '2026-03-31', bridging: false },
};

const input = (items: OpenItems): DigestInput => ({ companyName: 'Haven B.V.', period: '2026-03', asOf: '2026-03-04', items });

describe('digest content', () => {
  test('no open items: nothing to send', () => {
    expect(countOpenItems(NO_OPEN_ITEMS)).toBe(0);
    expect(digestEmail(input(NO_OPEN_ITEMS), 'en')).toBeNull();
    expect(digestEmail(input(NO_OPEN_ITEMS), 'de')).toBeNull();
  });

  test('every kind of open item is listed, and the subject counts them', () => {
    const email = digestEmail(input(ALL_KINDS), 'en')!;
    expect(countOpenItems(ALL_KINDS)).toBe(7);
    expect(email.subject).toBe('XS-Key: your open items for March 2026 (7)');
    const text = email.paragraphs.join('\n\n');
    expect(text).toContain('Dear Haven B.V.,');
    expect(text).toContain('as of 4 March 2026');
    expect(text).toContain('Your registration of 27 February 2026 is waiting for our decision, expected by 3 March 2026.');
    expect(text).toContain('Card applications waiting for a decision or an approval (2):');
    expect(text).toContain("- CargoCard for Jan Jansen (application ap_1, 20 February 2026): waiting for the card user's approval");
    expect(text).toContain("waiting for the card user's and our approval");
    expect(text).toContain('Cards ready for pickup at the service point (1):\n- CargoCard XS100 for Piet Bakker, ready since 26 February 2026');
    expect(text).toContain('Cards expiring soon: renew them now (1):\n- PortKey XS200 for Anna de Vries, expires 1 April 2026');
    expect(text).toContain('Expired cards: request a new card (1):\n- DigitalSafetyPassport XS300');
    expect(text).toContain('Your transport licence NIWO-42 is valid until 31 March 2026.');
  });

  test('only the kinds that have items get a section', () => {
    const email = digestEmail(input({ ...NO_OPEN_ITEMS, heldCards: ALL_KINDS.heldCards }), 'en')!;
    expect(email.subject).toMatch(/\(1\)$/);
    const text = email.paragraphs.join('\n\n');
    expect(text).toContain('Cards ready for pickup');
    expect(text).not.toMatch(/applications|expir|licence|registration/i);
  });

  test('German, with a NIWO bridging period', () => {
    const email = digestEmail(input({ ...NO_OPEN_ITEMS, licence: { number: 'NIWO-7', expiresOn: '2026-05-15', bridging: true } }), 'de')!;
    expect(email.subject).toBe('XS-Key: Ihre offenen Punkte für März 2026 (1)');
    expect(email.paragraphs.join('\n')).toContain('Ihre Transportlizenz NIWO-7 ist gültig bis 15. Mai 2026 (NIWO-Überbrückungszeitraum).');
  });

  test('the email template renders the items as text and escaped HTML', () => {
    const items = { ...NO_OPEN_ITEMS, heldCards: [{ ...ALL_KINDS.heldCards[0]!, holder: 'Jan <Jr.> & Co' }] };
    const mail = renderEmail('monthly-digest', 'en', digestTemplateData(input(items)));
    expect(mail.subject).toBe('XS-Key: your open items for March 2026 (1)');
    expect(mail.text).toContain('- CargoCard XS100 for Jan <Jr.> & Co');
    expect(mail.html).toContain('Jan &lt;Jr.&gt; &amp; Co');
    expect(() => renderEmail('monthly-digest', 'en', digestTemplateData(input(NO_OPEN_ITEMS)))).toThrow(/never sent/);
  });

  test.each([
    ['2026-01-07', 'en', '7 January 2026'],
    ['2026-12-31', 'de', '31. Dezember 2026'],
  ] as const)('formatDay(%s, %s) = %s', (day, lang, text) => expect(formatDay(day, lang)).toBe(text));

  test.each([
    ['2026-03', 'en', 'March 2026'],
    ['2026-03', 'de', 'März 2026'],
  ] as const)('periodLabel(%s, %s) = %s', (period, lang, text) => expect(periodLabel(period, lang)).toBe(text));
});

describe('the month a run covers', () => {
  test.each([
    // Every scheduled time of a year (first Wednesday 08:00 local) covers its own month.
    ...cal.digestDates(2026).map((d, i) => [d.toISOString(), `2026-${String(i + 1).padStart(2, '0')}`]),
    // Local midnight decides, not UTC: 1 April 00:30 CEST is still 31 March in UTC.
    ['2026-03-31T22:30:00Z', '2026-04'],
    ['2026-12-31T23:30:00Z', '2027-01'],
    ['2026-03-31T21:59:59Z', '2026-03'],
  ])('scheduled at %s -> %s', (iso, period) => expect(periodOf(new Date(iso), cal)).toBe(period));

  test.each([
    ['2026-03', true],
    ['1999-12', true],
    ['2026-13', false],
    ['2026-00', false],
    ['2026-3', false],
    ['2026-03-01', false],
    [202603, false],
  ])('isPeriod(%j) = %s', (value, ok) => expect(isPeriod(value)).toBe(ok));

  test('a month that has not begun (locally) is in the future', () => {
    const now = new Date('2026-03-31T21:30:00Z'); // 23:30 on 31 March in Amsterdam
    expect(isFuturePeriod('2026-03', now, cal)).toBe(false);
    expect(isFuturePeriod('2026-02', now, cal)).toBe(false);
    expect(isFuturePeriod('2026-04', now, cal)).toBe(true);
    expect(isFuturePeriod('2026-04', new Date('2026-03-31T22:00:00Z'), cal)).toBe(false);
  });
});

describe('a month\'s digest window: from its first Wednesday 08:00 (Amsterdam) until the month ends', () => {
  const months = Array.from({ length: 60 }, (_, i) => ({ year: 2026 + Math.floor(i / 12), month: (i % 12) + 1 }));

  test.each(months)('$year-$month', ({ year, month }) => {
    const period = `${year}-${String(month).padStart(2, '0')}`;
    const { opensAt, closesAt } = cal.digestWindow(year, month);
    expect(cal.toLocalIso(opensAt).slice(0, 7)).toBe(period);
    expect(cal.toLocalIso(opensAt).slice(10, 19)).toBe('T08:00:00');
    expect(new Date(`${cal.dayOf(opensAt)}T12:00:00Z`).getUTCDay()).toBe(3); // a Wednesday
    expect(Number(cal.dayOf(opensAt).slice(8))).toBeLessThanOrEqual(7);
    expect(cal.toLocalIso(closesAt).slice(8, 19)).toBe('01T00:00:00');
    const at = (ms: number) => outsideDigestWindow(period, new Date(ms), cal);
    expect(at(opensAt.getTime() - 1)).toContain(`the digest for ${period} runs only from`);
    expect(at(opensAt.getTime())).toBeNull();
    expect(at(closesAt.getTime() - 1)).toBeNull();
    expect(at(closesAt.getTime())).toContain(`until ${cal.toLocalIso(closesAt)}`);
  });
});
