/**
 * Structured logs: one JSON object a line, with time, level, message and
 * fields. Logs carry IDs (request, company, application, workflow), never
 * personal data: email addresses are masked in every field as a last line
 * of defence, request bodies and query strings are never logged, and API
 * keys appear only by name.
 */
export const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type Level = (typeof LEVELS)[number];

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

const EMAIL = /[\w.+-]+@[\w-]+(\.[\w-]+)+/g;

/** Masks email addresses in a value, deeply (strings, arrays, plain objects, errors). */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(EMAIL, '<email>');
  if (value instanceof Error) return redact(value.stack ?? value.message, depth);
  if (depth > 5 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, depth + 1)]));
}

export function createLogger(
  level: Level = 'info',
  base: LogFields = {},
  write: (line: string, level: Level) => void = (line, l) => (l === 'error' || l === 'warn' ? process.stderr : process.stdout).write(`${line}\n`),
): Logger {
  const min = LEVELS.indexOf(level);
  const emit = (l: Level) => (msg: string, fields: LogFields = {}) => {
    if (LEVELS.indexOf(l) < min) return;
    write(JSON.stringify({ time: new Date().toISOString(), level: l, msg: redact(msg), ...base, ...(redact(fields) as LogFields) }), l);
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}
