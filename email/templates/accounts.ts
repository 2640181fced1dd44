/** Emails of the portal accounts (PROCESSES.md section 6). `validUntil` is local time, 'yyyy-MM-dd HH:mm'. */
import type { TemplateSet } from './types';

export const accountTemplates = {
  'account-activation': {
    en: (d) => ({
      subject: 'Activate your XS-Key portal account',
      paragraphs: [
        `Dear ${d.name},`,
        `thank you for registering for the XS-Key portal (customer number ${d.customerNumber}). Please activate your account with this link:`,
        d.link ?? '',
        `The link works once and is valid until ${d.validUntil} (Amsterdam time). If it is not used by then, the registration lapses and you need to register again.`,
        'If you did not register, you can ignore this email.',
      ],
    }),
    de: (d) => ({
      subject: 'Aktivieren Sie Ihr XS-Key-Portalkonto',
      paragraphs: [
        `Guten Tag ${d.name},`,
        `vielen Dank für Ihre Registrierung im XS-Key-Portal (Kundennummer ${d.customerNumber}). Bitte aktivieren Sie Ihr Konto mit diesem Link:`,
        d.link ?? '',
        `Der Link funktioniert einmal und ist bis ${d.validUntil} (Amsterdamer Zeit) gültig. Wird er bis dahin nicht genutzt, verfällt die Registrierung und Sie müssen sich erneut registrieren.`,
        'Falls Sie sich nicht registriert haben, können Sie diese E-Mail ignorieren.',
      ],
    }),
  },
  'account-password-reset': {
    en: (d) => ({
      subject: 'Reset your XS-Key portal password',
      paragraphs: [
        `Dear ${d.name},`,
        'we received a request to reset the password of your XS-Key portal account. Choose a new password with this link:',
        d.link ?? '',
        `The link works once and is valid until ${d.validUntil} (Amsterdam time).`,
        'If you did not ask for this, you can ignore this email: your password stays as it is.',
      ],
    }),
    de: (d) => ({
      subject: 'Setzen Sie Ihr XS-Key-Portalpasswort zurück',
      paragraphs: [
        `Guten Tag ${d.name},`,
        'wir haben eine Anfrage erhalten, das Passwort Ihres XS-Key-Portalkontos zurückzusetzen. Wählen Sie mit diesem Link ein neues Passwort:',
        d.link ?? '',
        `Der Link funktioniert einmal und ist bis ${d.validUntil} (Amsterdamer Zeit) gültig.`,
        'Falls Sie das nicht angefordert haben, können Sie diese E-Mail ignorieren: Ihr Passwort bleibt unverändert.',
      ],
    }),
  },
  'account-locked': {
    en: (d) => ({
      subject: 'Your XS-Key portal account is locked',
      paragraphs: [
        `Dear ${d.name},`,
        `your XS-Key portal account has been locked by our customer service, for this reason: ${d.reason}`,
        'Please contact customer service to have it unlocked.',
      ],
    }),
    de: (d) => ({
      subject: 'Ihr XS-Key-Portalkonto ist gesperrt',
      paragraphs: [
        `Guten Tag ${d.name},`,
        `Ihr XS-Key-Portalkonto wurde von unserem Kundenservice gesperrt, aus diesem Grund: ${d.reason}`,
        'Bitte wenden Sie sich an den Kundenservice, um es entsperren zu lassen.',
      ],
    }),
  },
  'account-locked-sign-in': {
    en: (d) => ({
      subject: 'Your XS-Key portal access is locked',
      paragraphs: [
        `Dear ${d.name},`,
        `the password of your XS-Key portal account was entered wrongly ${d.attempts} times in a row, so we have locked the access to protect your account ("Zugang gesperrt").`,
        `Only our customer service can unlock it: please use the contact form on the portal's sign-in page, or call or write to customer service at ${d.serviceContact}.`,
        'If these attempts were not yours, please tell customer service; after the unlock, choose a new password with "Forgotten password".',
      ],
    }),
    de: (d) => ({
      subject: 'Ihr Zugang zum XS-Key-Portal ist gesperrt',
      paragraphs: [
        `Guten Tag ${d.name},`,
        `das Passwort Ihres XS-Key-Portalkontos wurde ${d.attempts}-mal nacheinander falsch eingegeben. Zum Schutz Ihres Kontos haben wir den Zugang gesperrt.`,
        `Entsperren kann ihn nur unser Kundenservice: Bitte nutzen Sie das Kontaktformular auf der Anmeldeseite des Portals oder wenden Sie sich an den Kundenservice unter ${d.serviceContact}.`,
        'Falls diese Versuche nicht von Ihnen stammen, teilen Sie es bitte dem Kundenservice mit; wählen Sie nach der Entsperrung mit „Passwort vergessen“ ein neues Passwort.',
      ],
    }),
  },
  'account-unlocked': {
    en: (d) => ({
      subject: 'Your XS-Key portal account is unlocked',
      paragraphs: [`Dear ${d.name},`, 'your XS-Key portal account has been unlocked by our customer service. You can sign in again.'],
    }),
    de: (d) => ({
      subject: 'Ihr XS-Key-Portalkonto ist entsperrt',
      paragraphs: [`Guten Tag ${d.name},`, 'Ihr XS-Key-Portalkonto wurde von unserem Kundenservice entsperrt. Sie können sich wieder anmelden.'],
    }),
  },
  // To the registered contact of a customer number a portal account asks to add (docs/accounts-terminals.md).
  'account-customer-number': {
    en: (d) => ({
      subject: `Confirm access to customer number ${d.customerNumber} in the XS-Key portal`,
      paragraphs: [
        `Dear ${d.name},`,
        `the XS-Key portal account of ${d.accountName} (${d.accountEmail}) asks to add your customer number ${d.customerNumber}. It would then see your terminal and customer master data. If you agree, confirm with this link:`,
        d.link ?? '',
        `The link works once and is valid until ${d.validUntil} (Amsterdam time).`,
        'If you do not know this request, ignore this email: nothing is added.',
      ],
    }),
    de: (d) => ({
      subject: `Bestätigen Sie den Zugriff auf Kundennummer ${d.customerNumber} im XS-Key-Portal`,
      paragraphs: [
        `Guten Tag ${d.name},`,
        `das XS-Key-Portalkonto von ${d.accountName} (${d.accountEmail}) möchte Ihre Kundennummer ${d.customerNumber} hinzufügen. Es sähe dann Ihre Terminal- und Kundenstammdaten. Wenn Sie einverstanden sind, bestätigen Sie mit diesem Link:`,
        d.link ?? '',
        `Der Link funktioniert einmal und ist bis ${d.validUntil} (Amsterdamer Zeit) gültig.`,
        'Falls Ihnen diese Anfrage unbekannt ist, ignorieren Sie diese E-Mail: Es wird nichts hinzugefügt.',
      ],
    }),
  },
} satisfies TemplateSet;
