/**
 * The spellings of an API path that are not its canonical one: the case of
 * each literal segment, trailing and duplicate slashes, percent-encoded
 * letters and slashes, dot segments, backslashes. The API decodes
 * percent-encoded letters once and then treats the path as its canonical
 * form, and refuses every other one of them before any handler
 * (api/operations.ts); the authorization test and the api-burst drill send
 * them with every role. Send them as they are
 * (node:http), not through fetch, which resolves dot segments first.
 */

/** A concrete canonical path: parameters get the given value, or a plain one (the handler is reached before it validates them). */
export const concrete = (template: string, values: Record<string, string> = {}): string =>
  template.replace(/\{([^}]+)\}/g, (_m, name: string) => values[name] ?? 'Id0x1');

const mixCase = (s: string) => [...s].map((c, i) => (i % 2 ? c.toUpperCase() : c.toLowerCase())).join('');
const encodeChar = (s: string, i: number) => s.slice(0, i) + `%${s.charCodeAt(i).toString(16).toUpperCase().padStart(2, '0')}` + s.slice(i + 1);

/** Every other spelling of a canonical path. A case variant may be the canonical path of another operation (/v1/accounts/ACTIVATION is getPortalAccount's); the rest reach no handler. */
export function spellings(template: string, values: Record<string, string> = {}): string[] {
  const canonical = concrete(template, values);
  const segments = canonical.split('/').slice(1);
  const literal = template.split('/').slice(1).map((s) => !s.startsWith('{'));
  const join = (segs: string[]) => '/' + segs.join('/');
  const out = new Set<string>();
  segments.forEach((seg, i) => {
    if (literal[i]) {
      // The case of each literal segment (parameters are data: their case is theirs).
      for (const variant of [seg.toUpperCase(), seg.toLowerCase(), seg[0]!.toUpperCase() + seg.slice(1), mixCase(seg), mixCase('x' + seg).slice(1)]) {
        out.add(join(segments.map((s, j) => (j === i ? variant : s))));
      }
      // A percent-encoded letter (upper and lower-case hex).
      const letter = seg.search(/[a-z]/i);
      if (letter >= 0) {
        out.add(join(segments.map((s, j) => (j === i ? encodeChar(s, letter) : s))));
        out.add(join(segments.map((s, j) => (j === i ? encodeChar(s, letter).toLowerCase() : s))));
      }
    } else {
      out.add(join(segments.map((s, j) => (j === i ? encodeChar(s, 0) : s))));
    }
    // Dot segments, a duplicate slash, a backslash and an encoded slash before each segment.
    const before = (insert: string) => '/' + [...segments.slice(0, i), insert + segments[i]].join('/') + (i < segments.length - 1 ? '/' + segments.slice(i + 1).join('/') : '');
    out.add(before('./'));
    out.add(before('x/../'));
    out.add(before('%2e/'));
    out.add(before('/'));
    if (i > 0) out.add('/' + segments.slice(0, i).join('/') + '%2F' + segments.slice(i).join('/'));
    if (i > 0) out.add('/' + segments.slice(0, i).join('/') + '\\' + segments.slice(i).join('/'));
  });
  out.add(`/${canonical}`);
  out.add(`${canonical}/`);
  out.add(`${canonical}/.`);
  out.add(`${canonical}//`);
  out.add(`${canonical}/x/..`);
  out.add(canonical.toUpperCase());
  out.delete(canonical);
  return [...out];
}

