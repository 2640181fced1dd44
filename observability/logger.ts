/**
 * Structured logs with pino: one JSON object a line (time, level, msg, fields).
 * Logs carry IDs (request, company, application, workflow), never personal data
 * or credentials:
 * - fields that hold them are removed by path (`REDACTED_PATHS`), whatever their value;
 * - email addresses are masked in every string of every line, message included,
 *   as a last line of defence;
 * - request bodies and query strings are never logged, API keys only by name.
 * A request logs through a child logger carrying its request ID (api/app.ts);
 * the worker routes the Temporal SDK's logs, with each workflow's and activity's
 * IDs, into the same logger (workers/logging.ts).
 */
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';

export const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type Level = (typeof LEVELS)[number];
export type LogFields = Record<string, unknown>;
export type Logger = PinoLogger;

/** Fields dropped from every line (one level deep too): credentials and personal data. */
export const REDACTED_PATHS = ['password', 'newPassword', 'pin', 'token', 'secret', 'apiKey', 'authorization', 'email', 'body', 'query', 'headers']
  .flatMap((key) => [key, `*.${key}`]);

const EMAIL = /[\w.+-]+@[\w-]+(\.[\w-]+)+/g;

/** Masks email addresses in a value, deeply (strings, arrays, plain objects, errors). */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(EMAIL, '<email>');
  if (value instanceof Error) return redact(value.stack ?? value.message, depth);
  if (depth > 5 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, depth + 1)]));
}

let defaultDestination: DestinationStream | undefined;

/** Where loggers created without a destination write (stdout unless set): the tests send every process's logs to a file per run. */
export function setDefaultLogDestination(destination: DestinationStream | undefined): void {
  defaultDestination = destination;
}

/**
 * A logger at `level` with `base` fields on every line. `write` receives each
 * line (without its newline) and its level instead of stdout: for tests.
 */
export function createLogger(level: Level = 'info', base: LogFields = {}, write?: (line: string, level: Level) => void): Logger {
  const destination: DestinationStream | undefined = write
    ? { write: (chunk: string) => void write(chunk.trimEnd(), (JSON.parse(chunk) as { level: Level }).level) }
    : defaultDestination;
  return pino(
    {
      level,
      base,
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, remove: true },
      formatters: {
        level: (label) => ({ level: label }),
        log: (fields) => redact(fields) as LogFields,
      },
      hooks: {
        // The message is masked too: it may quote an address from an error.
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? (redact(a) as string) : a)) as Parameters<typeof method>);
        },
      },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** The request's child logger (its request ID on every line), set by api/app.ts; `fallback` before that. */
export function requestLog(res: { locals: Record<string, unknown> }, fallback: Logger): Logger {
  return (res.locals.log as Logger | undefined) ?? fallback;
}
