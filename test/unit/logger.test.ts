/** observability/logger.ts: pino lines that carry IDs and never personal data or credentials. */
import { createLogger, REDACTED_PATHS } from '../../observability/logger';

function capture(level: 'debug' | 'info' = 'debug') {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger(level, { service: 'test' }, (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  return { logger, lines };
}

const SECRET_KEYS = [...new Set(REDACTED_PATHS.map((p) => p.replace(/^\*\./, '')))];

describe.each(SECRET_KEYS)('a field named %s', (key) => {
  it.each([
    ['at the top', (v: string) => ({ [key]: v, companyId: 'co_1' })],
    ['one level down', (v: string) => ({ request: { [key]: v }, companyId: 'co_1' })],
  ])('is dropped %s, whatever it holds', (_where, fields) => {
    const { logger, lines } = capture();
    logger.info(fields('leaked-value-123'), 'something happened');
    expect(JSON.stringify(lines)).not.toContain('leaked-value-123');
    expect(lines[0]).toMatchObject({ companyId: 'co_1', msg: 'something happened', level: 'info', service: 'test' });
  });
});

it('masks email addresses in every string, message included, deeply', () => {
  const { logger, lines } = capture();
  logger.warn({ note: 'from anna@haulage.example', nested: { list: ['piet@x.example'] }, error: new Error('bounce for jan@y.example') }, 'mail to kees@z.example failed');
  const text = JSON.stringify(lines);
  for (const address of ['anna@haulage.example', 'piet@x.example', 'jan@y.example', 'kees@z.example']) expect(text).not.toContain(address);
  expect(lines[0]).toMatchObject({ level: 'warn', msg: 'mail to <email> failed', note: 'from <email>' });
});

it('a child logger carries its fields on every line; levels below the logger are dropped', () => {
  const { logger, lines } = capture('info');
  const request = logger.child({ requestId: 'req-1' });
  request.debug('not shown');
  request.info({ status: 200 }, 'request');
  request.error('failed');
  expect(lines.map((l) => [l.level, l.requestId, l.msg])).toEqual([
    ['info', 'req-1', 'request'],
    ['error', 'req-1', 'failed'],
  ]);
  expect(typeof lines[0]!.time).toBe('string');
});
