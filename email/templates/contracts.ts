/** Emails of the contract process (PROCESSES.md section 1). */
import type { TemplateSet } from './types';

export const contractTemplates = {
  'contract-approved': {
    en: (d) => ({
      subject: `Your XS-Key contract is approved (customer number ${d.customerNumber})`,
      paragraphs: [
        `Dear ${d.companyName},`,
        `your registration has been approved. Your customer number is ${d.customerNumber}; please quote it in every request.`,
        'You can now apply for XS-Key cards for your employees.',
      ],
    }),
    de: (d) => ({
      subject: `Ihr XS-Key-Vertrag ist genehmigt (Kundennummer ${d.customerNumber})`,
      paragraphs: [
        `Sehr geehrte Damen und Herren der ${d.companyName},`,
        `Ihre Registrierung wurde genehmigt. Ihre Kundennummer lautet ${d.customerNumber}; bitte geben Sie sie bei jeder Anfrage an.`,
        'Sie können jetzt XS-Key-Karten für Ihre Mitarbeitenden beantragen.',
      ],
    }),
  },
  'contract-rejected': {
    en: (d) => ({
      subject: 'Your XS-Key registration was not approved',
      paragraphs: [
        `Dear ${d.companyName},`,
        'we could not approve your registration, for this reason:',
        d.reason ?? '',
        'You are welcome to register again with the corrected information.',
      ],
    }),
    de: (d) => ({
      subject: 'Ihre XS-Key-Registrierung wurde nicht genehmigt',
      paragraphs: [
        `Sehr geehrte Damen und Herren der ${d.companyName},`,
        'wir konnten Ihre Registrierung aus folgendem Grund nicht genehmigen:',
        d.reason ?? '',
        'Sie können sich gern mit den korrigierten Angaben erneut registrieren.',
      ],
    }),
  },
  'contract-sla-breached': {
    en: (d) => ({
      subject: `Overdue: contract decision for ${d.companyName} (${d.companyId})`,
      paragraphs: [
        `The registration of ${d.companyName} (${d.companyId}) was due for a decision by ${d.dueAt} and is still undecided.`,
        'The case is marked as breached (search attribute SlaBreached) and still waits for the decision.',
      ],
    }),
    de: (d) => ({
      subject: `Überfällig: Vertragsentscheidung für ${d.companyName} (${d.companyId})`,
      paragraphs: [
        `Die Registrierung von ${d.companyName} (${d.companyId}) hätte bis ${d.dueAt} entschieden sein sollen und ist noch offen.`,
        'Der Fall ist als überfällig markiert (Suchattribut SlaBreached) und wartet weiter auf die Entscheidung.',
      ],
    }),
  },
} satisfies TemplateSet;
