/** Emails of the card application, production and pickup hold (PROCESSES.md section 2). */
import type { TemplateSet } from './types';

const CARD_NAMES: Record<string, string> = {
  CargoCard: 'CargoCard',
  DigitalSafetyPassport: 'Digital Safety Passport',
  PortKey: 'PortKey',
};
const cardName = (d: Record<string, string>) => CARD_NAMES[d.cardType ?? ''] ?? d.cardType ?? '';

const METHOD = {
  en: { post: 'by post', pickup: 'pickup at the service point', 'urgent-pickup': 'urgent pickup at the service point' },
  de: { post: 'per Post', pickup: 'Abholung an der Servicestelle', 'urgent-pickup': 'dringende Abholung an der Servicestelle' },
} as const;
const method = (lang: 'en' | 'de', d: Record<string, string>) =>
  METHOD[lang][d.deliveryMethod as keyof (typeof METHOD)['en']] ?? d.deliveryMethod ?? '';

/** How the produced card reaches the card user: by post (shipOn, expectedDeliveryBy) or at the service point. */
const deliveryEn = (d: Record<string, string>) =>
  d.deliveryMethod === 'post'
    ? `It is sent by post on ${d.shipOn}; expected delivery by ${d.expectedDeliveryBy}.`
    : `You can collect it at the service point on ${d.readyOn}, from ${d.pickupFrom} until ${d.pickupUntil}; it is held for you until ${d.holdUntil}. Please bring your ID document.`;
const deliveryDe = (d: Record<string, string>) =>
  d.deliveryMethod === 'post'
    ? `Sie wird am ${d.shipOn} per Post versandt; voraussichtliche Zustellung bis ${d.expectedDeliveryBy}.`
    : `Sie können sie am ${d.readyOn} von ${d.pickupFrom} bis ${d.pickupUntil} an der Servicestelle abholen; sie liegt bis ${d.holdUntil} für Sie bereit. Bitte bringen Sie Ihren Ausweis mit.`;

export const cardTemplates = {
  /** To the company contact, when the application is received. */
  'card-application-received': {
    en: (d) => ({
      subject: `We received your application for a ${cardName(d)} for ${d.cardUserName} (${d.applicationId})`,
      paragraphs: [
        `Dear ${d.companyName},`,
        `we received your application ${d.applicationId} for a ${cardName(d)} for ${d.cardUserName} (XS-ID ${d.xsId}), delivery: ${method('en', d)}.`,
        'The card is produced once both the card user and our back-office have approved the application.',
      ],
    }),
    de: (d) => ({
      subject: `Wir haben Ihren Antrag auf eine ${cardName(d)} für ${d.cardUserName} erhalten (${d.applicationId})`,
      paragraphs: [
        `Sehr geehrte Damen und Herren der ${d.companyName},`,
        `wir haben Ihren Antrag ${d.applicationId} auf eine ${cardName(d)} für ${d.cardUserName} (XS-ID ${d.xsId}) erhalten, Zustellung: ${method('de', d)}.`,
        'Die Karte wird hergestellt, sobald der Karteninhaber und unser Backoffice den Antrag genehmigt haben.',
      ],
    }),
  },
  /** To the company contact, when the card is produced: the PIN, and only here. */
  'card-pin': {
    en: (d) => ({
      subject: `PIN code for card ${d.cardNumber} (${d.cardUserName})`,
      paragraphs: [
        `Dear ${d.companyName},`,
        d.newPin === 'true'
          ? `a new PIN code was issued for the ${cardName(d)} ${d.cardNumber} for ${d.cardUserName}; the earlier one no longer works. The new PIN code is:`
          : `the ${cardName(d)} ${d.cardNumber} for ${d.cardUserName} has been produced. Its PIN code is:`,
        d.pin ?? '',
        'Please give the PIN code to the card user personally. It is needed, with an ID document and the card, to activate the card at an activation point. Keep it separate from the card.',
      ],
    }),
    de: (d) => ({
      subject: `PIN-Code für die Karte ${d.cardNumber} (${d.cardUserName})`,
      paragraphs: [
        `Sehr geehrte Damen und Herren der ${d.companyName},`,
        d.newPin === 'true'
          ? `für die ${cardName(d)} ${d.cardNumber} für ${d.cardUserName} wurde ein neuer PIN-Code ausgestellt; der bisherige gilt nicht mehr. Der neue PIN-Code lautet:`
          : `die ${cardName(d)} ${d.cardNumber} für ${d.cardUserName} wurde hergestellt. Ihr PIN-Code lautet:`,
        d.pin ?? '',
        'Bitte geben Sie den PIN-Code dem Karteninhaber persönlich. Er wird zusammen mit Ausweis und Karte zur Aktivierung an einer Aktivierungsstelle benötigt. Bewahren Sie ihn getrennt von der Karte auf.',
      ],
    }),
  },
  /** To the company contact, when the last allowed wrong PIN locked the card's activation (MAX_PIN_ATTEMPTS). */
  'card-pin-locked': {
    en: (d) => ({
      subject: `Activation of card ${d.cardNumber} (${d.cardUserName}) is locked`,
      paragraphs: [
        `Dear ${d.companyName},`,
        `a wrong PIN code was entered ${d.attempts} times to activate the ${cardName(d)} ${d.cardNumber} for ${d.cardUserName}. Its activation is locked.`,
        'If this was not the card user, please tell us. To unlock it, ask our customer service for a new PIN code: it is sent to you, like the first one.',
      ],
    }),
    de: (d) => ({
      subject: `Die Aktivierung der Karte ${d.cardNumber} (${d.cardUserName}) ist gesperrt`,
      paragraphs: [
        `Sehr geehrte Damen und Herren der ${d.companyName},`,
        `bei der Aktivierung der ${cardName(d)} ${d.cardNumber} für ${d.cardUserName} wurde ${d.attempts}-mal ein falscher PIN-Code eingegeben. Die Aktivierung ist gesperrt.`,
        'Falls das nicht der Karteninhaber war, teilen Sie es uns bitte mit. Zum Entsperren fordern Sie bei unserem Kundenservice einen neuen PIN-Code an: Er wird Ihnen wie der erste zugesandt.',
      ],
    }),
  },
  /** To the company contact, when an application ends without a card (a rule no longer holds, or the contract ended). */
  'card-application-cancelled': {
    en: (d) => ({
      subject: `Your application for a ${cardName(d)} for ${d.cardUserName} was cancelled (${d.applicationId})`,
      paragraphs: [
        `Dear ${d.companyName},`,
        `your application ${d.applicationId} for a ${cardName(d)} for ${d.cardUserName} (XS-ID ${d.xsId}) was cancelled. The reason: ${d.reason}.`,
        d.cardNumber
          ? `The card ${d.cardNumber} that was produced for it is blocked: it cannot be collected or activated. Please return it if you receive it.`
          : 'No card was produced.',
        'Once the reason no longer applies, you may apply again.',
      ],
    }),
    de: (d) => ({
      subject: `Ihr Antrag auf eine ${cardName(d)} für ${d.cardUserName} wurde storniert (${d.applicationId})`,
      paragraphs: [
        `Sehr geehrte Damen und Herren der ${d.companyName},`,
        `Ihr Antrag ${d.applicationId} auf eine ${cardName(d)} für ${d.cardUserName} (XS-ID ${d.xsId}) wurde storniert. Der Grund: ${d.reason}.`,
        d.cardNumber
          ? `Die dafür hergestellte Karte ${d.cardNumber} ist gesperrt: Sie kann weder abgeholt noch aktiviert werden. Bitte senden Sie sie zurück, falls sie bei Ihnen eintrifft.`
          : 'Es wurde keine Karte hergestellt.',
        'Sobald der Grund entfällt, können Sie einen neuen Antrag stellen.',
      ],
    }),
  },
  /** To the card user, when the card is produced: how it reaches them and how to activate it. */
  'card-next-steps': {
    en: (d) => ({
      subject: `Your ${cardName(d)} ${d.cardNumber} has been produced: next steps`,
      paragraphs: [
        `Dear ${d.cardUserName},`,
        `your ${cardName(d)} ${d.cardNumber} has been produced.`,
        deliveryEn(d),
        'Your company contact receives the PIN code. To activate the card, go to an activation point with your ID document, the card and the PIN code. The card is valid for 5 years from activation.',
      ],
    }),
    de: (d) => ({
      subject: `Ihre ${cardName(d)} ${d.cardNumber} wurde hergestellt: die nächsten Schritte`,
      paragraphs: [
        `Guten Tag ${d.cardUserName},`,
        `Ihre ${cardName(d)} ${d.cardNumber} wurde hergestellt.`,
        deliveryDe(d),
        'Den PIN-Code erhält Ihre Kontaktperson im Unternehmen. Zur Aktivierung gehen Sie mit Ausweis, Karte und PIN-Code zu einer Aktivierungsstelle. Die Karte ist ab der Aktivierung 5 Jahre gültig.',
      ],
    }),
  },
  /** To the company contact, when the card is shipped by post. */
  'card-shipped': {
    en: (d) => ({
      subject: `Card ${d.cardNumber} for ${d.cardUserName} was shipped on ${d.shippedOn}`,
      paragraphs: [
        `Dear ${d.companyName},`,
        `the ${cardName(d)} ${d.cardNumber} for ${d.cardUserName} was shipped by post on ${d.shippedOn}.`,
        `Expected delivery: by ${d.expectedDeliveryBy}.`,
      ],
    }),
    de: (d) => ({
      subject: `Die Karte ${d.cardNumber} für ${d.cardUserName} wurde am ${d.shippedOn} versandt`,
      paragraphs: [
        `Sehr geehrte Damen und Herren der ${d.companyName},`,
        `die ${cardName(d)} ${d.cardNumber} für ${d.cardUserName} wurde am ${d.shippedOn} per Post versandt.`,
        `Voraussichtliche Zustellung: bis ${d.expectedDeliveryBy}.`,
      ],
    }),
  },
  /** To the card user, when the pickup hold starts. */
  'card-ready-for-pickup': {
    en: (d) => ({
      subject: `Your card ${d.cardNumber} can be collected on ${d.readyOn}`,
      paragraphs: [
        `Dear ${d.cardUserName},`,
        `your ${cardName(d)} ${d.cardNumber} can be collected at the service point on ${d.readyOn} from ${d.pickupFrom} until ${d.pickupUntil}.`,
        ...(d.arriveBy ? [`Your application was checked at the service point on your behalf: please arrive by ${d.arriveBy}.`] : []),
        `We hold the card until ${d.holdUntil}; after that it is sent by post. Please bring your ID document.` +
          (d.collectorName ? ` ${d.collectorName} may collect it for you.` : ''),
      ],
    }),
    de: (d) => ({
      subject: `Ihre Karte ${d.cardNumber} liegt am ${d.readyOn} zur Abholung bereit`,
      paragraphs: [
        `Guten Tag ${d.cardUserName},`,
        `Ihre ${cardName(d)} ${d.cardNumber} kann am ${d.readyOn} von ${d.pickupFrom} bis ${d.pickupUntil} an der Servicestelle abgeholt werden.`,
        ...(d.arriveBy ? [`Ihr Antrag wurde in Ihrem Namen an der Servicestelle geprüft: Bitte seien Sie bis ${d.arriveBy} Uhr da.`] : []),
        `Wir halten die Karte bis ${d.holdUntil} bereit; danach wird sie per Post versandt. Bitte bringen Sie Ihren Ausweis mit.` +
          (d.collectorName ? ` ${d.collectorName} darf sie für Sie abholen.` : ''),
      ],
    }),
  },
  /** To the company contact, when a card was not collected during its hold and went to the post. */
  'card-hold-expired-posted': {
    en: (d) => ({
      subject: `Card ${d.cardNumber} was not collected and has been sent by post`,
      paragraphs: [
        `Dear ${d.companyName},`,
        `the ${cardName(d)} ${d.cardNumber} for ${d.cardUserName} was not collected at the service point by ${d.holdUntil}.`,
        `It was sent by post on ${d.shippedOn}; expected delivery by ${d.expectedDeliveryBy}.`,
      ],
    }),
    de: (d) => ({
      subject: `Die Karte ${d.cardNumber} wurde nicht abgeholt und per Post versandt`,
      paragraphs: [
        `Sehr geehrte Damen und Herren der ${d.companyName},`,
        `die ${cardName(d)} ${d.cardNumber} für ${d.cardUserName} wurde bis ${d.holdUntil} nicht an der Servicestelle abgeholt.`,
        `Sie wurde am ${d.shippedOn} per Post versandt; voraussichtliche Zustellung bis ${d.expectedDeliveryBy}.`,
      ],
    }),
  },
} satisfies TemplateSet;
