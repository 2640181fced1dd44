/** The card emails (email/templates/cards.ts) render in both languages from the data the workflows send. */
import { renderEmail, type TemplateId } from '../../email/templates';

const base = { companyName: 'Haven Logistiek B.V.', cardUserName: 'Anna de Vries', applicationId: 'ca_abc12345', xsId: 'xs_abc12345', cardType: 'DigitalSafetyPassport', cardNumber: 'XK0123456789' };
const pickup = { deliveryMethod: 'pickup', readyOn: '2026-12-07', pickupFrom: '16:00', pickupUntil: '17:00', holdUntil: '2026-12-14 17:00' };
const post = { deliveryMethod: 'post', shipOn: '2026-12-07', expectedDeliveryBy: '2026-12-14' };

const cases: [TemplateId, Record<string, string>, RegExp][] = [
  ['card-application-received', { ...base, deliveryMethod: 'urgent-pickup' }, /ca_abc12345/],
  ['card-pin', { ...base, pin: '0427' }, /0427/],
  ['card-next-steps', { ...base, ...post }, /2026-12-14/],
  ['card-next-steps', { ...base, ...pickup }, /16:00/],
  ['card-shipped', { ...base, shippedOn: '2026-12-07', expectedDeliveryBy: '2026-12-14' }, /2026-12-14/],
  ['card-ready-for-pickup', { ...base, ...pickup, deliveryMethod: 'urgent-pickup', arriveBy: '16:30', collectorName: 'Piet Bakker' }, /Piet Bakker/],
  ['card-hold-expired-posted', { ...base, holdUntil: '2026-12-14 17:00', shippedOn: '2026-12-15', expectedDeliveryBy: '2026-12-22' }, /2026-12-22/],
];

describe.each(['en', 'de'] as const)('in %s', (language) => {
  test.each(cases)('%s carries its data and nothing undefined', (template, data, expected) => {
    const { subject, text, html } = renderEmail(template, language, data);
    expect(text).toMatch(expected);
    expect(`${subject}\n${text}\n${html}`).not.toMatch(/undefined|\$\{/);
    expect(text).toContain('Digital Safety Passport');
  });
});

test('the PIN goes only into the PIN email, never into the card user\'s next steps', () => {
  const { text } = renderEmail('card-next-steps', 'en', { ...base, ...post, pin: '0427' });
  expect(text).not.toContain('0427');
});
