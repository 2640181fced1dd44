export const languages = ['de', 'en'] as const;

/** A mongo duplicate-key error (the only code FerretDB and MongoDB agree on). */
export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}
