/** Emails of cards in use (PROCESSES.md section 3). */
import type { TemplateSet } from './types';

const CARD_NAMES: Record<string, string> = { DigitalSafetyPassport: 'Digital Safety Passport' };
const cardName = (d: Record<string, string>) => CARD_NAMES[d.cardType ?? ''] ?? d.cardType ?? '';

export const cardInUseTemplates = {
  /** To the company contact, when a card is blocked (at the chosen day, lost, or at once). */
  'card-blocked': {
    en: (d) => ({
      subject: `Card ${d.cardNumber} is blocked`,
      paragraphs: [
        'Dear customer,',
        `the ${cardName(d)} ${d.cardNumber} (XS-ID ${d.xsId}) is blocked since ${d.blockedAt}. It no longer opens any access point.`,
        `Reason: ${d.reason}`,
        'If this was not intended, please contact the XS-Key service: a blocked card cannot be unblocked; a new card must be requested.',
      ],
    }),
    de: (d) => ({
      subject: `Die Karte ${d.cardNumber} ist gesperrt`,
      paragraphs: [
        'Sehr geehrte Damen und Herren,',
        `die ${cardName(d)} ${d.cardNumber} (XS-ID ${d.xsId}) ist seit ${d.blockedAt} gesperrt. Sie öffnet keinen Zugang mehr.`,
        `Grund: ${d.reason}`,
        'Falls dies nicht beabsichtigt war, wenden Sie sich bitte an den XS-Key-Service: Eine gesperrte Karte kann nicht entsperrt werden; eine neue Karte muss beantragt werden.',
      ],
    }),
  },
} satisfies TemplateSet;
