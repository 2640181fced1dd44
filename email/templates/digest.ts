/** The monthly digest email (PROCESSES.md section 5): the open items of one company, rendered by domain/digest.ts. */
import { digestEmail, type DigestInput, type Language } from '../../domain/digest';
import type { TemplateData, TemplateSet } from './types';

/** Template data are strings: the items travel as JSON. */
export function digestTemplateData(input: DigestInput): TemplateData {
  return { companyName: input.companyName, period: input.period, asOf: input.asOf, items: JSON.stringify(input.items) };
}

function render(d: TemplateData, language: Language) {
  const input: DigestInput = { companyName: d.companyName ?? '', period: d.period ?? '', asOf: d.asOf ?? '', items: JSON.parse(d.items ?? 'null') };
  const email = digestEmail(input, language);
  if (!email) throw new Error('a digest without open items is never sent');
  return email;
}

export const digestTemplates = {
  'monthly-digest': {
    en: (d) => render(d, 'en'),
    de: (d) => render(d, 'de'),
  },
} satisfies TemplateSet;
