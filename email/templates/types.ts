/** The shape of a template: per language, data -> subject and paragraphs. */
export type Language = 'de' | 'en';
export type TemplateData = Record<string, string>;
export type Template = Record<Language, (d: TemplateData) => { subject: string; paragraphs: string[] }>;
export type TemplateSet = Record<string, Template>;
