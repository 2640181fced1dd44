/** The generated parts of docs/ (stack/docs.ts) say what the code says: run `npm run docs` after changing their source. */
import { readFileSync } from 'node:fs';
import { docPath, GENERATED, regenerate } from '../../stack/docs';

describe.each(Object.keys(GENERATED))('%s', (file) => {
  it('is up to date with the code (npm run docs)', () => {
    const text = readFileSync(docPath(file), 'utf8');
    expect(regenerate(file, text)).toBe(text);
  });
});

it('replaces only the text between its markers', () => {
  const file = Object.keys(GENERATED)[0]!;
  const text = readFileSync(docPath(file), 'utf8');
  const stale = text.replace('| `CompanyId` |', '| `CompanyID` |');
  expect(stale).not.toBe(text);
  expect(regenerate(file, stale)).toBe(text);
});
