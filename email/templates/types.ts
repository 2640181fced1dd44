/** The shape of a template: per language, data -> subject and paragraphs. */
export type { Language } from '../../domain/vocabulary';
import type { Language } from '../../domain/vocabulary';
export type TemplateData = Record<string, string>;
export type Template = Record<Language, (d: TemplateData) => { subject: string; paragraphs: string[] }>;
export type TemplateSet = Record<string, Template>;
