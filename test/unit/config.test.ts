import { ConfigError, loadConfig } from '../../config';
import { DEFAULT_RULES } from '../../domain/rules';

describe('configuration', () => {
  test('an empty environment gives the local stack defaults', () => {
    const config = loadConfig({});
    expect(config.temporal).toEqual({ address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'xs-backoffice' });
    expect(config.mongodbUri).toBe('mongodb://127.0.0.1:27017/xs-backoffice');
    expect(config.mail.smtpUrl).toBe('smtp://127.0.0.1:1025');
    expect(config.rules).toEqual(DEFAULT_RULES);
  });

  test('empty strings count as unset', () => {
    expect(loadConfig({ API_PORT: '', CLOSURE_DATES: '' }).api.port).toBe(3000);
  });

  test('every bad variable is named in one error', () => {
    let error: unknown;
    try {
      loadConfig({ API_PORT: 'eighty', MONGODB_URI: 'postgres://x', CLOSURE_DATES: '2026-13-01', TEMPORAL_TLS: 'maybe' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const variable of ['API_PORT', 'MONGODB_URI', 'CLOSURE_DATES', 'TEMPORAL_TLS']) expect(message).toContain(variable);
  });

  test('closure dates and the renewal window reach the business rules', () => {
    const config = loadConfig({ CLOSURE_DATES: '2027-03-26, 2027-05-05', RENEWAL_WINDOW_WEEKS: '8' });
    expect(config.rules.extraClosureDates).toEqual(['2027-03-26', '2027-05-05']);
    expect(config.rules.renewalWindowWeeks).toBe(8);
  });

  test('mTLS needs both the certificate and the key', () => {
    expect(() => loadConfig({ TEMPORAL_TLS_CERT_PATH: '/nonexistent.pem' })).toThrow(/TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH/);
  });

  test('an unreadable TLS file is named', () => {
    expect(() => loadConfig({ TEMPORAL_TLS_CA_PATH: '/nonexistent/ca.pem' })).toThrow(/TEMPORAL_TLS_CA_PATH: cannot read/);
  });

  test('an API key implies TLS', () => {
    expect(loadConfig({ TEMPORAL_API_KEY: 'secret' }).temporal.tls).toEqual({});
  });
});
