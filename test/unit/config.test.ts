import { DEFAULT_ACCOUNT_LIMITS } from '../../api/services/account-limits';
import { ConfigError, loadConfig } from '../../config';
import { DEFAULT_RULES } from '../../domain/rules';
import { LOCAL_API_KEYS, sha256 } from '../../config/api-keys';
import { LOCAL_LINK_SECRET } from '../../config/link-secret';
import { transactionBudgetMs } from '../../email/mailer';
import { MAIL_SMTP_BUDGET_MAX_MS, PROFILES } from '../../workflows/activity-profiles';

/** A production human check (api/services/human-check.ts): the local verifier is refused there. */
const HUMAN_CHECK_PROD = { HUMAN_CHECK_VERIFIER: 'siteverify', HUMAN_CHECK_VERIFY_URL: 'https://verify.example/siteverify', HUMAN_CHECK_SECRET: 'provider-secret' } as const;

describe('configuration', () => {
  test('an empty environment gives the local stack defaults', () => {
    const config = loadConfig({});
    expect(config.temporal).toEqual({ address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'xs-backoffice', callTimeoutMs: 10_000 });
    expect(config.tracing).toEqual({});
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

  test('the Temporal call deadline and the OTLP endpoint are validated', () => {
    expect(loadConfig({ TEMPORAL_CALL_TIMEOUT_MS: '2500' }).temporal.callTimeoutMs).toBe(2500);
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/' }).tracing).toEqual({ otlpEndpoint: 'http://127.0.0.1:4318' });
    for (const bad of [{ TEMPORAL_CALL_TIMEOUT_MS: '0' }, { TEMPORAL_CALL_TIMEOUT_MS: 'soon' }, { TEMPORAL_CALL_TIMEOUT_MS: '600000' }]) {
      expect(() => loadConfig(bad)).toThrow(/TEMPORAL_CALL_TIMEOUT_MS/);
    }
    for (const bad of ['collector:4318', 'grpc://127.0.0.1:4317']) expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: bad })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
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

  test('the portal-account abuse limits: defaults, overrides, and every bad value named', () => {
    expect(loadConfig({}).api.accountLimits).toEqual(DEFAULT_ACCOUNT_LIMITS);
    expect(
      loadConfig({
        ACCOUNT_RESET_RESEND_MINUTES: '10',
        ACCOUNT_RESET_MAILS_PER_DAY: '2',
        ACCOUNT_RESET_REQUESTS_PER_ADDRESS_HOUR: '50',
        ACCOUNT_LINK_FAILURES_PER_ADDRESS_HOUR: '7',
      }).api.accountLimits,
    ).toEqual({ resetResendMinutes: 10, resetMailsPerDay: 2, resetRequestsPerAddressHour: 50, linkFailuresPerAddressHour: 7 });
    const bad = { ACCOUNT_RESET_RESEND_MINUTES: '0', ACCOUNT_RESET_MAILS_PER_DAY: 'many', ACCOUNT_RESET_REQUESTS_PER_ADDRESS_HOUR: '-1', ACCOUNT_LINK_FAILURES_PER_ADDRESS_HOUR: '1.5' };
    expect(() => loadConfig(bad)).toThrow(ConfigError);
    try {
      loadConfig(bad);
    } catch (e) {
      for (const variable of Object.keys(bad)) expect((e as Error).message).toContain(variable);
    }
  });

  test('portal sign-in, terms and the human check: defaults, overrides, bad values named, the local verifier refused in production', async () => {
    const defaults = loadConfig({});
    expect(defaults.rules.accountSignInMaxFailures).toBe(5);
    expect(defaults.api.portal).toMatchObject({ termsVersion: '2026-01', privacyVersion: '2026-01', humanCheck: { name: 'local' } });
    expect(await defaults.api.portal.humanCheck.verify('local-human-check-passed')).toBe(true);
    expect(await defaults.api.portal.humanCheck.verify('anything-else')).toBe(false);
    const set = loadConfig({ ACCOUNT_SIGN_IN_MAX_FAILURES: '3', TERMS_VERSION: '2027-02', PRIVACY_VERSION: 'v4.1', ...HUMAN_CHECK_PROD });
    expect(set.rules.accountSignInMaxFailures).toBe(3);
    expect(set.api.portal).toMatchObject({ termsVersion: '2027-02', privacyVersion: 'v4.1', humanCheck: { name: 'siteverify' } });
    const bad = { ACCOUNT_SIGN_IN_MAX_FAILURES: '0', TERMS_VERSION: 'with space', PRIVACY_VERSION: 'x'.repeat(41), HUMAN_CHECK_VERIFIER: 'none' };
    let message = '';
    try {
      loadConfig(bad);
    } catch (e) {
      message = (e as Error).message;
    }
    for (const variable of Object.keys(bad)) expect(message).toContain(variable);
    expect(() => loadConfig({ HUMAN_CHECK_VERIFIER: 'siteverify' })).toThrow(/siteverify needs HUMAN_CHECK_VERIFY_URL and HUMAN_CHECK_SECRET/);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/HUMAN_CHECK_VERIFIER: the local verifier .* refused in production/);
  });

  test('an API key implies TLS', () => {
    expect(loadConfig({ TEMPORAL_API_KEY: 'secret' }).temporal.tls).toEqual({});
  });

  describe('API keys', () => {
    const secret = 'a-secret-of-at-least-24-characters';
    test('development without API_KEYS gets the local keys, one per role', () => {
      expect(loadConfig({}).api.keys.map((k) => `${k.name}:${k.role}`)).toEqual([
        'local-backoffice:backoffice',
        'local-customer-service:customer-service',
        'local-system:system',
        'local-portal:portal',
      ]);
    });

    test('production needs API_KEYS and refuses the local ones', () => {
      expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/API_KEYS: required in production/);
      expect(() => loadConfig({ NODE_ENV: 'production', API_KEYS: `x:backoffice:${LOCAL_API_KEYS.backoffice}` })).toThrow(/local development keys are refused/);
      const payloadKeys = `p1:${Buffer.alloc(32, 7).toString('base64')}`; // production needs these too (payload-codec.test.ts)
      const linkSecret = Buffer.alloc(32, 9).toString('base64'); // and this (the next test)
      const keys = loadConfig({ NODE_ENV: 'production', API_KEYS: `crm:backoffice:${secret}, cron:system:${secret}-2`, PAYLOAD_KEYS: payloadKeys, ACCOUNT_LINK_SECRET: linkSecret, ...HUMAN_CHECK_PROD, WORKER_BUILD_ID: 'v1' }).api.keys;
      expect(keys).toEqual([
        { name: 'crm', role: 'backoffice', secretSha256: sha256(secret) },
        { name: 'cron', role: 'system', secretSha256: sha256(`${secret}-2`) },
      ]);
    });

    test('account link tokens: production needs ACCOUNT_LINK_SECRET (32 bytes, base64) and refuses the local one', () => {
      const prod = { NODE_ENV: 'production', API_KEYS: `crm:backoffice:${secret}`, PAYLOAD_KEYS: `p1:${Buffer.alloc(32, 7).toString('base64')}`, ...HUMAN_CHECK_PROD, WORKER_BUILD_ID: 'v1' } as const;
      expect(loadConfig({}).linkSecret).toEqual(LOCAL_LINK_SECRET);
      expect(() => loadConfig(prod)).toThrow(/ACCOUNT_LINK_SECRET: required in production/);
      expect(() => loadConfig({ ...prod, ACCOUNT_LINK_SECRET: LOCAL_LINK_SECRET.toString('base64') })).toThrow(/local development secret is refused/);
      const bad = 'c2hvcnQ='; // "short"
      expect(() => loadConfig({ ACCOUNT_LINK_SECRET: bad })).toThrow(/ACCOUNT_LINK_SECRET: must be 32 bytes in base64/);
      expect(() => loadConfig({ ACCOUNT_LINK_SECRET: bad })).not.toThrow(new RegExp(bad));
      const good = Buffer.alloc(32, 3);
      expect(loadConfig({ ...prod, ACCOUNT_LINK_SECRET: good.toString('base64') }).linkSecret).toEqual(good);
    });

    test('bad entries are named by position and name, never with the secret', () => {
      let message = '';
      try {
        loadConfig({ API_KEYS: `ok:backoffice:${secret},bad:admin:${secret}x,short:system:tooshort-secret,ok:system:${secret}y,dup:system:${secret}` });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toContain('API_KEYS entry 2 ("bad"): role must be one of backoffice, customer-service, system');
      expect(message).toContain('API_KEYS entry 3 ("short"): the secret must be at least 24 characters');
      expect(message).toContain('API_KEYS entry 4: the name "ok" is used twice');
      expect(message).toContain('API_KEYS entry 5 ("dup"): the same secret as another entry');
      expect(message).not.toContain('tooshort-secret');
      expect(message).not.toContain(secret);
    });
  });

  test('worker metrics can be switched off; a missing prebuilt bundle is named', () => {
    expect(loadConfig({}).worker.metricsAddress).toBe('127.0.0.1:9464');
    expect(loadConfig({ WORKER_METRICS_ADDRESS: 'off', WORKER_VERSIONING: 'false' }).worker).toEqual({});
    expect(() => loadConfig({ WORKER_METRICS_ADDRESS: 'everywhere' })).toThrow(/WORKER_METRICS_ADDRESS: must be host:port or off/);
    expect(() => loadConfig({ WORKFLOW_BUNDLE_PATH: '/nonexistent/bundle.js' })).toThrow(/WORKFLOW_BUNDLE_PATH: no file/);
  });

  test('the worker polls as a deployment version: the build ID given, or derived from the package version and commit; production needs it given', () => {
    expect(loadConfig({ WORKER_BUILD_ID: '2026.11.28-9cad725', WORKER_DEPLOYMENT_NAME: 'xs' }).worker.deployment).toEqual({ deploymentName: 'xs', buildId: '2026.11.28-9cad725' });
    // A checkout: <version>-<commit>, plus -wip<hash> while the workflow code has uncommitted changes.
    expect(loadConfig({}).worker.deployment).toEqual({ deploymentName: 'xs-backoffice', buildId: expect.stringMatching(/^\d+\.\d+\.\d+-[0-9a-f]{7,}(-wip[0-9a-f]{6})?$/) });
    expect(loadConfig({ WORKER_VERSIONING: 'false', WORKER_BUILD_ID: 'v1' }).worker.deployment).toBeUndefined();
    expect(() => loadConfig({ WORKER_DEPLOYMENT_NAME: 'xs.backoffice' })).toThrow(/WORKER_DEPLOYMENT_NAME: must be letters, digits, - or _ \(no dots\)/);
    expect(() => loadConfig({ WORKER_BUILD_ID: 'has space' })).toThrow(/WORKER_BUILD_ID: must be/);
    const prod = { NODE_ENV: 'production', API_KEYS: 'crm:backoffice:a-secret-of-at-least-24-characters', PAYLOAD_KEYS: `p1:${Buffer.alloc(32, 7).toString('base64')}`, ACCOUNT_LINK_SECRET: Buffer.alloc(32, 9).toString('base64'), ...HUMAN_CHECK_PROD };
    expect(() => loadConfig(prod)).toThrow(/WORKER_BUILD_ID: required in production/);
    expect(loadConfig({ ...prod, WORKER_VERSIONING: 'false' }).worker.deployment).toBeUndefined();
  });

  test('the worker\'s workflow cache and SMTP pool are bounded by configuration, checked at start', () => {
    expect(loadConfig({}).worker.maxCachedWorkflows).toBeUndefined(); // the SDK's default, from the heap size
    expect(loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '500' }).worker.maxCachedWorkflows).toBe(500);
    expect(() => loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '0' })).toThrow(/WORKER_MAX_CACHED_WORKFLOWS/);
    expect(() => loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: 'lots' })).toThrow(/WORKER_MAX_CACHED_WORKFLOWS: must be a number/);
    expect(loadConfig({}).mail.maxConnections).toBe(5);
    expect(loadConfig({ SMTP_MAX_CONNECTIONS: '1' }).mail.maxConnections).toBe(1);
    expect(() => loadConfig({ SMTP_MAX_CONNECTIONS: '500' })).toThrow(/SMTP_MAX_CONNECTIONS: must be at most 50/);
  });

  test('an SMTP transaction must fit inside one mail attempt (its heartbeat timeout, workflows/activity-profiles.ts)', () => {
    const budget = (socketSeconds?: string) => transactionBudgetMs(loadConfig(socketSeconds ? { SMTP_SOCKET_TIMEOUT_SECONDS: socketSeconds } : {}).mail.timeouts);
    expect(budget()).toBe(20_000);
    expect(budget()).toBeLessThanOrEqual(MAIL_SMTP_BUDGET_MAX_MS);
    const longest = String((MAIL_SMTP_BUDGET_MAX_MS - 10_000) / 1000);
    expect(budget(longest)).toBe(MAIL_SMTP_BUDGET_MAX_MS);
    expect(MAIL_SMTP_BUDGET_MAX_MS).toBeLessThan(PROFILES.mail.heartbeatTimeout);
    expect(() => loadConfig({ SMTP_SOCKET_TIMEOUT_SECONDS: String(Number(longest) + 1) })).toThrow(
      new RegExp(`SMTP_SOCKET_TIMEOUT_SECONDS: an SMTP transaction could then take ${Number(longest) + 11} s, longer than a mail attempt allows .*at most ${longest}`),
    );
    expect(() => loadConfig({ SMTP_SOCKET_TIMEOUT_SECONDS: '0' })).toThrow(/SMTP_SOCKET_TIMEOUT_SECONDS/);
  });

  test('the Idempotency-Key lease is bounded, checked at start', () => {
    expect(loadConfig({}).api.idempotencyLeaseSeconds).toBe(30);
    expect(loadConfig({ API_IDEMPOTENCY_LEASE_SECONDS: '10' }).api.idempotencyLeaseSeconds).toBe(10);
    expect(() => loadConfig({ API_IDEMPOTENCY_LEASE_SECONDS: '1' })).toThrow(/API_IDEMPOTENCY_LEASE_SECONDS: must be at least 3/);
    expect(() => loadConfig({ API_IDEMPOTENCY_LEASE_SECONDS: '3600' })).toThrow(/API_IDEMPOTENCY_LEASE_SECONDS: must be at most 600/);
  });
});
