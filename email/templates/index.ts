/**
 * Every email the processes send, in German and English, as plain text and
 * HTML: one file of templates per process, combined here. Pure functions:
 * (template, language, data) -> message. Values are HTML-escaped.
 */
import { accountTemplates } from './accounts';
import { cardTemplates } from './cards';
import { cardInUseTemplates } from './cards-in-use';
import { contractTemplates } from './contracts';
import { digestTemplates } from './digest';
import { licenceTemplates } from './licences';
import type { Language, TemplateData } from './types';

export type { Language } from './types';

const templates = {
  ...accountTemplates,
  ...cardTemplates,
  ...cardInUseTemplates,
  ...contractTemplates,
  ...digestTemplates,
  ...licenceTemplates,
};

export type TemplateId = keyof typeof templates;
export const TEMPLATE_IDS = Object.keys(templates) as TemplateId[];

const signature: Record<Language, string> = {
  en: 'Kind regards,\nXS-Key Service',
  de: 'Mit freundlichen Grüßen\nIhr XS-Key-Service',
};

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export function renderEmail(template: TemplateId, language: Language, data: TemplateData): RenderedEmail {
  const { subject, paragraphs } = templates[template][language](data);
  const parts = [...paragraphs, signature[language]];
  return {
    subject,
    text: parts.join('\n\n') + '\n',
    html:
      `<!doctype html><html lang="${language}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>` +
      `<body style="font-family: sans-serif; line-height: 1.5">` +
      parts.map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`).join('') +
      `</body></html>`,
  };
}
