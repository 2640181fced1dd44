/**
 * `npm run docs`: writes the parts of docs/ that are facts of the code, between
 * `<!-- generated:NAME -->` and `<!-- /generated:NAME -->` markers, so they
 * cannot drift (test/unit/generated-docs.test.ts fails when a doc is stale).
 * Today: the search attributes (workflows/definitions/search-attributes.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../config/build-id';
import { SA, SEARCH_ATTRIBUTE_MEANING, SEARCH_ATTRIBUTE_TYPES } from '../workflows/definitions';
import { cliSearchAttributeType } from './services';


export function searchAttributesDoc(): string {
  const rows = (Object.keys(SA) as (keyof typeof SA)[]).map((k) => `| \`${SA[k].name}\` | ${cliSearchAttributeType(SA[k].type)} | ${SEARCH_ATTRIBUTE_MEANING[k]} |`);
  const create = Object.entries(SEARCH_ATTRIBUTE_TYPES).map(([name, type]) => `  --name ${name} --type ${cliSearchAttributeType(type)}`);
  return [
    '| attribute | type | what it says |',
    '| --- | --- | --- |',
    ...rows,
    '',
    'Register them once on a namespace other than the local dev server (which gets them at start):',
    '',
    '```sh',
    'temporal operator search-attribute create --namespace <ns> \\',
    create.join(' \\\n'),
    '```',
  ].join('\n');
}

/** Every generated part: file (from the repository root) -> marker name -> content. */
export const GENERATED: Record<string, Record<string, () => string>> = {
  'docs/operations.md': { 'search-attributes': searchAttributesDoc },
};

/** The text of `file` with each generated part replaced by what the code says now. */
export function regenerate(file: string, text: string): string {
  let out = text;
  for (const [name, make] of Object.entries(GENERATED[file] ?? {})) {
    const begin = `<!-- generated:${name} (npm run docs) -->`;
    const end = `<!-- /generated:${name} -->`;
    const a = out.indexOf(begin);
    const b = out.indexOf(end);
    if (a < 0 || b < a) throw new Error(`${file} has no "${begin}" ... "${end}" block`);
    out = `${out.slice(0, a + begin.length)}\n${make()}\n${out.slice(b)}`;
  }
  return out;
}

export const docPath = (file: string) => join(projectRoot(), file);

if (require.main === module) {
  for (const file of Object.keys(GENERATED)) {
    const path = docPath(file);
    const before = readFileSync(path, 'utf8');
    const after = regenerate(file, before);
    if (after !== before) writeFileSync(path, after);
    console.log(`${file}: ${after === before ? 'up to date' : 'regenerated'}`);
  }
}
