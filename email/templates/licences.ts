/** Emails of the transport-licence watch (PROCESSES.md section 4), to the company contact. */
import type { TemplateSet } from './types';

export const licenceTemplates = {
  /** On the 5th working day before the licence (or its bridging period) ends, at 09:00. */
  'licence-warning': {
    en: (d) => ({
      subject: `Your transport licence ${d.licenceNumber} expires on ${d.expiresOn}`,
      paragraphs: [
        `Dear ${d.companyName},`,
        `your transport licence ${d.licenceNumber} is valid through ${d.expiresOn}. We have not received a renewed licence yet.`,
        `Unless you send us the renewed licence (number, expiry date and document) or proof of a NIWO bridging period in time, every CargoCard of your company is blocked at ${d.blockAt} and your XS-Key contract is terminated.`,
      ],
    }),
    de: (d) => ({
      subject: `Ihre Transportlizenz ${d.licenceNumber} läuft am ${d.expiresOn} ab`,
      paragraphs: [
        `Sehr geehrte Damen und Herren der ${d.companyName},`,
        `Ihre Transportlizenz ${d.licenceNumber} ist bis einschließlich ${d.expiresOn} gültig. Eine verlängerte Lizenz liegt uns noch nicht vor.`,
        `Wenn Sie uns die verlängerte Lizenz (Nummer, Ablaufdatum und Dokument) oder den Nachweis einer NIWO-Überbrückungsfrist nicht rechtzeitig senden, werden am ${d.blockAt} alle CargoCards Ihres Unternehmens gesperrt und Ihr XS-Key-Vertrag beendet.`,
      ],
    }),
  },
  /** At 00:00 after the last valid day: the CargoCards are blocked and the contract terminated. */
  'licence-expired': {
    en: (d) => ({
      subject: `Transport licence ${d.licenceNumber} expired: CargoCards blocked, contract terminated`,
      paragraphs: [
        `Dear ${d.companyName},`,
        `your transport licence ${d.licenceNumber} expired on ${d.expiresOn} and we did not receive a renewal.`,
        d.cardCount === '0'
          ? 'Your company has no CargoCards in use.'
          : `Therefore ${d.cardCount === '1' ? 'your CargoCard has' : `all ${d.cardCount} CargoCards of your company have`} been blocked: ${d.cardNumbers}.`,
        `Your XS-Key contract was terminated on ${d.terminatedAt}. To apply for cards again, please register your company anew with a valid transport licence.`,
      ],
    }),
    de: (d) => ({
      subject: `Transportlizenz ${d.licenceNumber} abgelaufen: CargoCards gesperrt, Vertrag beendet`,
      paragraphs: [
        `Sehr geehrte Damen und Herren der ${d.companyName},`,
        `Ihre Transportlizenz ${d.licenceNumber} ist am ${d.expiresOn} abgelaufen; eine Verlängerung haben wir nicht erhalten.`,
        d.cardCount === '0'
          ? 'Ihr Unternehmen hat keine CargoCards in Gebrauch.'
          : `Deshalb ${d.cardCount === '1' ? 'wurde Ihre CargoCard' : `wurden alle ${d.cardCount} CargoCards Ihres Unternehmens`} gesperrt: ${d.cardNumbers}.`,
        `Ihr XS-Key-Vertrag wurde am ${d.terminatedAt} beendet. Um wieder Karten zu beantragen, registrieren Sie Ihr Unternehmen bitte erneut mit einer gültigen Transportlizenz.`,
      ],
    }),
  },
} satisfies TemplateSet;
