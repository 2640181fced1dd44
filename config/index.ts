/**
 * Configuration: read from the environment once at start-up, validated, then
 * passed down explicitly. Nothing else in the project reads `process.env`.
 *
 * Every variable is documented in .env.example; the defaults are the embedded
 * local stack that `make up` starts, so an empty environment just works.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_RULES, type BusinessRules } from '../domain/rules';
import { DEFAULT_SMTP_CONNECTIONS, SMTP_TIMEOUTS, transactionBudgetMs, type SmtpTimeouts } from '../email/mailer';
import { MAIL_SMTP_BUDGET_MAX_MS } from '../workflows/activity-profiles';
import { DEFAULT_ACCOUNT_LIMITS, type AccountLimits } from '../api/services/account-limits';
import { DEFAULT_SERVICE_CONTACT } from '../activities/accounts';
import { createHumanCheckVerifier } from '../api/services/human-check';
import { DEFAULT_PORTAL_SETTINGS, type PortalSettings } from '../api/services/sign-in';
import { derivedBuildId, projectRoot, sourceBuild } from './build-id';
import { LOCAL_API_KEYS_ENTRY, parseApiKeys, usesLocalKeys, type ApiKey } from './api-keys';
import { parseLinkSecret, usesLocalLinkSecret } from './link-secret';
import { LOCAL_PAYLOAD_KEYS_ENTRY, parsePayloadKeys, usesLocalPayloadKey, type PayloadKey } from './payload-keys';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const port = z.coerce.number({ message: 'must be a port number' }).int().min(0).max(65535);
const isoDay = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const positiveInt = z.coerce.number({ message: 'must be a number' }).int().positive();
const docVersion = z.string().regex(/^[A-Za-z0-9._-]{1,40}$/, 'must be a version label of letters, digits, . _ - (at most 40)');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),

  TEMPORAL_ADDRESS: z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port').default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('xs-backoffice'),
  TEMPORAL_TLS: bool.default(false),
  TEMPORAL_TLS_CERT_PATH: z.string().optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().optional(),
  TEMPORAL_TLS_CA_PATH: z.string().optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().optional(),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  // the deadline of the Temporal calls of one API request (all of them together), and of each call made outside a request
  TEMPORAL_CALL_TIMEOUT_MS: z.coerce.number({ message: 'must be a number' }).int().min(500, 'must be at least 500').max(120_000, 'must be at most 120000').default(10_000),
  // OTLP/HTTP collector base URL (e.g. http://127.0.0.1:4318): spans of API, workflows and activities go there; unset: no tracing export
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ message: 'must be a URL' }).regex(/^https?:\/\//, 'must be an http:// or https:// URL').optional(),

  MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\/.+\/[^/?]+/, 'must be a mongodb:// URI that names a database')
    .default('mongodb://127.0.0.1:27017/xs-backoffice'),

  SMTP_URL: z.string().regex(/^smtps?:\/\/.+/, 'must be an smtp:// or smtps:// URL').default('smtp://127.0.0.1:1025'),
  // SMTP connections the worker keeps open and reuses
  SMTP_MAX_CONNECTIONS: positiveInt.max(50, 'must be at most 50').default(DEFAULT_SMTP_CONNECTIONS),
  // how long the SMTP transport waits for a relay that went quiet mid-transaction; with the connection and
  // greeting timeouts (5 s each) it must fit inside one mail attempt (checked below)
  SMTP_SOCKET_TIMEOUT_SECONDS: positiveInt.default(SMTP_TIMEOUTS.socketTimeout / 1000),
  MAIL_FROM: z.string().min(3).default('XS-Key Service <service@xs-key.example>'),
  BACKOFFICE_LEAD_EMAIL: z.email({ message: 'must be an email address' }).default('backoffice-lead@xs-key.example'),

  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: port.default(3000),
  PUBLIC_BASE_URL: z.url({ message: 'must be a URL' }).default('http://127.0.0.1:3000'),
  // name:role:secret,... (config/api-keys.ts); required in production, local keys otherwise
  API_KEYS: z.string().optional(),
  API_RATE_LIMIT_PER_MINUTE: positiveInt.default(600),
  API_IDEMPOTENCY_TTL_HOURS: positiveInt.default(24),
  // a running request renews its claim on its Idempotency-Key every third of this; a retry takes over only a claim not renewed for this long
  API_IDEMPOTENCY_LEASE_SECONDS: positiveInt.min(3, 'must be at least 3').max(600, 'must be at most 600').default(30),
  /** Half-created cases (a record whose workflow start was lost) are completed by a sweep this often, once this old. */
  API_CREATION_SWEEP_SECONDS: positiveInt.min(5, 'must be at least 5').max(3600, 'must be at most 3600').default(60),
  API_CREATION_GRACE_SECONDS: positiveInt.min(5, 'must be at least 5').max(3600, 'must be at most 3600').default(30),
  /** Drill-only: the API sleeps this long between writing a record and starting its workflow. Refused in production. */
  XS_FAULT_DELAY_AFTER_RECORD_MS: z.coerce.number({ message: 'must be a number' }).int().min(0).max(60_000).optional(),
  /** Trust X-Forwarded-For from this many proxies in front of the API (for per-address rate limits). */
  API_TRUSTED_PROXIES: z.coerce.number({ message: 'must be a number' }).int().min(0).max(10).default(0),

  // Password-reset and link abuse (api/services/account-limits.ts)
  ACCOUNT_RESET_RESEND_MINUTES: positiveInt.max(1440, 'must be at most 1440').default(DEFAULT_ACCOUNT_LIMITS.resetResendMinutes),
  ACCOUNT_RESET_MAILS_PER_DAY: positiveInt.max(100, 'must be at most 100').default(DEFAULT_ACCOUNT_LIMITS.resetMailsPerDay),
  ACCOUNT_RESET_REQUESTS_PER_ADDRESS_HOUR: positiveInt.default(DEFAULT_ACCOUNT_LIMITS.resetRequestsPerAddressHour),
  ACCOUNT_LINK_FAILURES_PER_ADDRESS_HOUR: positiveInt.default(DEFAULT_ACCOUNT_LIMITS.linkFailuresPerAddressHour),
  // Portal sign-in, terms and the human check (docs/accounts.md)
  ACCOUNT_SIGN_IN_MAX_FAILURES: positiveInt.max(20, 'must be at most 20').default(DEFAULT_RULES.accountSignInMaxFailures),
  TERMS_VERSION: docVersion.default(DEFAULT_PORTAL_SETTINGS.termsVersion),
  PRIVACY_VERSION: docVersion.default(DEFAULT_PORTAL_SETTINGS.privacyVersion),
  CUSTOMER_SERVICE_CONTACT: z.string().min(3).max(200).default(DEFAULT_SERVICE_CONTACT),
  HUMAN_CHECK_VERIFIER: z.enum(['local', 'siteverify'], { message: 'must be local or siteverify' }).default('local'),
  HUMAN_CHECK_VERIFY_URL: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
  HUMAN_CHECK_SECRET: z.string().min(8, 'must be at least 8 characters').optional(),
  // id:base64-32-bytes,... (config/payload-keys.ts): the first encrypts, all decrypt; required in production
  PAYLOAD_KEYS: z.string().optional(),
  // base64 of 32 random bytes (config/link-secret.ts): account link tokens are derived from it; required in production
  ACCOUNT_LINK_SECRET: z.string().optional(),
  // the codec server (codec/server.ts) the Temporal Web UI and CLI decode payloads through
  CODEC_HOST: z.string().min(1).default('127.0.0.1'),
  CODEC_PORT: port.default(8234),
  // the Web UI origins allowed to call it (CORS with credentials needs exact origins), comma-separated
  CODEC_UI_ORIGINS: z
    .string()
    .default('http://127.0.0.1:8233')
    .transform((s) => s.split(',').map((o) => o.trim().replace(/\/$/, '')).filter(Boolean))
    .refine((origins) => origins.every((o) => /^https?:\/\/[^/\s]+$/.test(o)), 'must be a comma-separated list of origins (scheme://host[:port])'),

  // a workflow bundle prebuilt by dist/workers/bundle.js (the Docker image has one); unset: bundle at start
  WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
  // workflows the worker keeps in memory between their tasks (default: workers/worker.ts DEFAULT_MAX_CACHED_WORKFLOWS)
  WORKER_MAX_CACHED_WORKFLOWS: positiveInt.optional(),
  // host:port the worker serves Prometheus metrics on (the Temporal SDK's own), or "off"
  WORKER_METRICS_ADDRESS: z
    .string()
    .regex(/^([^\s:]+:\d+|off)$/, 'must be host:port or off')
    .default('127.0.0.1:9464'),
  // Worker Deployment Versioning (docs/operations.md): off only for a server without Worker Deployments
  WORKER_VERSIONING: bool.default(true),
  WORKER_DEPLOYMENT_NAME: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'must be letters, digits, - or _ (no dots)').default('xs-backoffice'),
  // the build this worker runs, e.g. the image tag; unset: package version + git commit (config/build-id.ts), required in production
  WORKER_BUILD_ID: z.string().regex(/^[A-Za-z0-9_.+-]{1,200}$/, 'must be letters, digits and . _ + - (an image tag)').optional(),

  CLOSURE_DATES: z
    .string()
    .default('')
    .transform((s) => s.split(',').map((d) => d.trim()).filter(Boolean))
    .refine((days) => days.every((d) => isoDay.test(d)), 'must be a comma-separated list of YYYY-MM-DD days'),
  RENEWAL_WINDOW_WEEKS: positiveInt.default(DEFAULT_RULES.renewalWindowWeeks),
  // passwords that resist guessing and added customer numbers (docs/accounts-terminals.md)
  PASSWORD_PERSONAL_MIN_LENGTH: positiveInt.min(3, 'must be at least 3').max(20).default(DEFAULT_RULES.passwordPersonalMinLength),
  PASSWORD_COMMON_MAX_EXTRA: z.coerce.number({ message: 'must be a number' }).int().min(0).max(20).default(DEFAULT_RULES.passwordCommonMaxExtra),
  PASSWORD_MIN_STRENGTH: z.coerce.number({ message: 'must be a number' }).int().min(0).max(4, 'must be a zxcvbn score, 0-4').default(DEFAULT_RULES.passwordMinStrength),
  CUSTOMER_NUMBER_LINK_HOURS: positiveInt.max(168, 'must be at most 168').default(DEFAULT_RULES.customerNumberLinkValidityHours),
});

type Env = z.infer<typeof schema>;

/** Names a worker build: the deployment and the build ID (the SDK's WorkerDeploymentVersion). */
export interface WorkerDeploymentVersion {
  deploymentName: string;
  buildId: string;
}

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  tls?: { serverName?: string; serverRootCACertificate?: Buffer; clientCertPair?: { crt: Buffer; key: Buffer } };
  apiKey?: string;
  /** Deadline of the Temporal calls of one API request together, and of each call outside a request (config/temporal.ts). */
  callTimeoutMs?: number;
}

export interface AppConfig {
  env: Env['NODE_ENV'];
  logLevel: Env['LOG_LEVEL'];
  temporal: TemporalConfig;
  mongodbUri: string;
  mail: { smtpUrl: string; from: string; backofficeLead: string; maxConnections: number; timeouts: SmtpTimeouts; customerServiceContact?: string };
  api: {
    host: string;
    port: number;
    publicBaseUrl: string;
    keys: ApiKey[];
    rateLimitPerMinute: number;
    idempotencyTtlHours: number;
    idempotencyLeaseSeconds: number;
    trustedProxies: number;
    accountLimits: AccountLimits;
    /** Terms and privacy versions, the human check of password resets. */
    portal: PortalSettings;
    /** The creation sweep (api/services/creation.ts). */
    creationSweep: { intervalMs: number; graceMs: number };
    /** Drill-only fault point (XS_FAULT_DELAY_AFTER_RECORD_MS). */
    faultDelayAfterRecordMs?: number;
  };
  worker: {
    metricsAddress?: string;
    bundlePath?: string;
    maxCachedWorkflows?: number;
    /** The Worker Deployment Version this worker polls as; undefined: unversioned (WORKER_VERSIONING=false). */
    deployment?: WorkerDeploymentVersion;
  };
  /** Encrypt every payload Temporal stores (codec/); the first key encrypts. */
  payloadKeys: PayloadKey[];
  /** Account link tokens are HMACs under it (config/link-secret.ts). */
  linkSecret: Buffer;
  codecServer: { host: string; port: number; uiOrigins: string[] };
  rules: BusinessRules;
  /** OpenTelemetry export (observability/tracing.ts); no endpoint: spans are made but not exported. */
  tracing: { otlpEndpoint?: string };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function readFile(variable: string, path: string, problems: string[]): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (err) {
    problems.push(`${variable}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
}

/** Parses and validates the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(environment: NodeJS.ProcessEnv = process.env): AppConfig {
  // Empty strings count as unset, so `FOO=` in a .env file falls back to the default.
  const raw = Object.fromEntries(Object.entries(environment).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];

  let tls: TemporalConfig['tls'];
  if (e.TEMPORAL_TLS || e.TEMPORAL_TLS_CERT_PATH || e.TEMPORAL_TLS_CA_PATH) {
    tls = {};
    if (e.TEMPORAL_TLS_SERVER_NAME) tls.serverName = e.TEMPORAL_TLS_SERVER_NAME;
    if (e.TEMPORAL_TLS_CA_PATH) tls.serverRootCACertificate = readFile('TEMPORAL_TLS_CA_PATH', e.TEMPORAL_TLS_CA_PATH, problems);
    if (Boolean(e.TEMPORAL_TLS_CERT_PATH) !== Boolean(e.TEMPORAL_TLS_KEY_PATH)) {
      problems.push('TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH: set both or neither');
    } else if (e.TEMPORAL_TLS_CERT_PATH && e.TEMPORAL_TLS_KEY_PATH) {
      const crt = readFile('TEMPORAL_TLS_CERT_PATH', e.TEMPORAL_TLS_CERT_PATH, problems);
      const key = readFile('TEMPORAL_TLS_KEY_PATH', e.TEMPORAL_TLS_KEY_PATH, problems);
      if (crt && key) tls.clientCertPair = { crt, key };
    }
  }
  if (e.TEMPORAL_API_KEY && !tls) tls = {}; // Temporal Cloud API keys always travel over TLS

  if (e.NODE_ENV === 'production' && !e.API_KEYS) problems.push('API_KEYS: required in production (name:role:secret,...)');
  const keys = parseApiKeys(e.API_KEYS ?? LOCAL_API_KEYS_ENTRY, problems);
  if (e.NODE_ENV === 'production' && usesLocalKeys(keys)) problems.push('API_KEYS: the local development keys are refused in production');
  if (e.NODE_ENV === 'production' && !e.PAYLOAD_KEYS) problems.push('PAYLOAD_KEYS: required in production (id:base64-32-bytes,...)');
  const payloadKeys = parsePayloadKeys(e.PAYLOAD_KEYS ?? LOCAL_PAYLOAD_KEYS_ENTRY, problems);
  if (e.NODE_ENV === 'production' && usesLocalPayloadKey(payloadKeys)) problems.push('PAYLOAD_KEYS: the local development key is refused in production');
  if (e.NODE_ENV === 'production' && !e.ACCOUNT_LINK_SECRET) problems.push('ACCOUNT_LINK_SECRET: required in production (openssl rand -base64 32)');
  const linkSecret = parseLinkSecret(e.ACCOUNT_LINK_SECRET, problems);
  if (e.NODE_ENV === 'production' && usesLocalLinkSecret(linkSecret)) problems.push('ACCOUNT_LINK_SECRET: the local development secret is refused in production');
  if (e.WORKFLOW_BUNDLE_PATH && !existsSync(e.WORKFLOW_BUNDLE_PATH)) problems.push(`WORKFLOW_BUNDLE_PATH: no file at ${e.WORKFLOW_BUNDLE_PATH}`);
  if (e.HUMAN_CHECK_VERIFIER === 'siteverify' && !(e.HUMAN_CHECK_VERIFY_URL && e.HUMAN_CHECK_SECRET)) {
    problems.push('HUMAN_CHECK_VERIFIER: siteverify needs HUMAN_CHECK_VERIFY_URL and HUMAN_CHECK_SECRET');
  }
  if (e.NODE_ENV === 'production' && e.HUMAN_CHECK_VERIFIER === 'local') problems.push('HUMAN_CHECK_VERIFIER: the local verifier proves nothing and is refused in production (use siteverify)');
  if (e.NODE_ENV === 'production' && e.XS_FAULT_DELAY_AFTER_RECORD_MS) problems.push('XS_FAULT_DELAY_AFTER_RECORD_MS: a drill-only fault point, refused in production');
  if (e.NODE_ENV === 'production' && e.WORKER_VERSIONING && !e.WORKER_BUILD_ID) {
    problems.push('WORKER_BUILD_ID: required in production with WORKER_VERSIONING (the image tag of this build)');
  }
  const smtpTimeouts: SmtpTimeouts = { ...SMTP_TIMEOUTS, socketTimeout: e.SMTP_SOCKET_TIMEOUT_SECONDS * 1000 };
  if (transactionBudgetMs(smtpTimeouts) > MAIL_SMTP_BUDGET_MAX_MS) {
    problems.push(
      `SMTP_SOCKET_TIMEOUT_SECONDS: an SMTP transaction could then take ${transactionBudgetMs(smtpTimeouts) / 1000} s, longer than a mail attempt allows ` +
        `(${MAIL_SMTP_BUDGET_MAX_MS / 1000} s with the connection and greeting timeouts, workflows/activity-profiles.ts); ` +
        `at most ${(MAIL_SMTP_BUDGET_MAX_MS - smtpTimeouts.connectionTimeout - smtpTimeouts.greetingTimeout) / 1000}`,
    );
  }
  if (problems.length) throw new ConfigError(problems);

  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      ...(tls ? { tls } : {}),
      ...(e.TEMPORAL_API_KEY ? { apiKey: e.TEMPORAL_API_KEY } : {}),
      callTimeoutMs: e.TEMPORAL_CALL_TIMEOUT_MS,
    },
    mongodbUri: e.MONGODB_URI,
    mail: {
      smtpUrl: e.SMTP_URL,
      from: e.MAIL_FROM,
      backofficeLead: e.BACKOFFICE_LEAD_EMAIL,
      maxConnections: e.SMTP_MAX_CONNECTIONS,
      timeouts: smtpTimeouts,
      customerServiceContact: e.CUSTOMER_SERVICE_CONTACT,
    },
    api: {
      host: e.API_HOST,
      port: e.API_PORT,
      publicBaseUrl: e.PUBLIC_BASE_URL.replace(/\/$/, ''),
      keys,
      rateLimitPerMinute: e.API_RATE_LIMIT_PER_MINUTE,
      idempotencyTtlHours: e.API_IDEMPOTENCY_TTL_HOURS,
      idempotencyLeaseSeconds: e.API_IDEMPOTENCY_LEASE_SECONDS,
      trustedProxies: e.API_TRUSTED_PROXIES,
      creationSweep: { intervalMs: e.API_CREATION_SWEEP_SECONDS * 1000, graceMs: e.API_CREATION_GRACE_SECONDS * 1000 },
      ...(e.XS_FAULT_DELAY_AFTER_RECORD_MS ? { faultDelayAfterRecordMs: e.XS_FAULT_DELAY_AFTER_RECORD_MS } : {}),
      accountLimits: {
        resetResendMinutes: e.ACCOUNT_RESET_RESEND_MINUTES,
        resetMailsPerDay: e.ACCOUNT_RESET_MAILS_PER_DAY,
        resetRequestsPerAddressHour: e.ACCOUNT_RESET_REQUESTS_PER_ADDRESS_HOUR,
        linkFailuresPerAddressHour: e.ACCOUNT_LINK_FAILURES_PER_ADDRESS_HOUR,
      },
      portal: {
        termsVersion: e.TERMS_VERSION,
        privacyVersion: e.PRIVACY_VERSION,
        humanCheck: createHumanCheckVerifier(
          e.HUMAN_CHECK_VERIFIER === 'siteverify' ? { verifier: 'siteverify', verifyUrl: e.HUMAN_CHECK_VERIFY_URL!, secret: e.HUMAN_CHECK_SECRET! } : { verifier: 'local' },
        ),
      },
    },
    worker: {
      ...(e.WORKER_METRICS_ADDRESS === 'off' ? {} : { metricsAddress: e.WORKER_METRICS_ADDRESS }),
      ...(e.WORKFLOW_BUNDLE_PATH ? { bundlePath: e.WORKFLOW_BUNDLE_PATH } : {}),
      ...(e.WORKER_MAX_CACHED_WORKFLOWS ? { maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS } : {}),
      ...(e.WORKER_VERSIONING
        ? { deployment: { deploymentName: e.WORKER_DEPLOYMENT_NAME, buildId: e.WORKER_BUILD_ID ?? derivedBuildId(sourceBuild(projectRoot())) } }
        : {}),
    },
    payloadKeys,
    linkSecret,
    codecServer: { host: e.CODEC_HOST, port: e.CODEC_PORT, uiOrigins: e.CODEC_UI_ORIGINS },
    rules: {
      ...DEFAULT_RULES,
      extraClosureDates: e.CLOSURE_DATES,
      renewalWindowWeeks: e.RENEWAL_WINDOW_WEEKS,
      accountSignInMaxFailures: e.ACCOUNT_SIGN_IN_MAX_FAILURES,
      passwordPersonalMinLength: e.PASSWORD_PERSONAL_MIN_LENGTH,
      passwordCommonMaxExtra: e.PASSWORD_COMMON_MAX_EXTRA,
      passwordMinStrength: e.PASSWORD_MIN_STRENGTH,
      customerNumberLinkValidityHours: e.CUSTOMER_NUMBER_LINK_HOURS,
    },
    tracing: e.OTEL_EXPORTER_OTLP_ENDPOINT ? { otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '') } : {},
  };
}
