/**
 * Everything an API test file needs, started once per file, in three layers:
 *
 * - `startApp`: the app on a free port against a given database and Temporal
 *   client, and `api()`, which checks every error answer is problem+json
 *   (without internals, unless told otherwise).
 * - `startDevServerHarness`: a client of the shared Temporal dev server (in a
 *   namespace of the file's own if asked), a worker on a task queue of its own
 *   running the real activities, a fresh database and a real SMTP receiver.
 * - `startApiHarness`: both.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client, Connection } from '@temporalio/client';
import type { Worker, WorkerOptions } from '@temporalio/worker';
import { createApp, type AppDeps } from '../../api/app';
import { smtpGreeting } from '../../api/readiness';
import { loadConfig } from '../../config';
import { LOCAL_API_KEYS } from '../../config/api-keys';
import { createLogger, type Logger } from '../../observability/logger';
import type { Database } from '../../db/connection';
import { BusinessCalendar } from '../../domain/calendar';
import { DEFAULT_RULES } from '../../domain/rules';
import { createMailer, type Mailer } from '../../email/mailer';
import { createWorker } from '../../workers/worker';
import { setCurrentVersion } from '../../workers/deployment';
import { createNamespace, devServerAddress, devServerClient, TEST_PAYLOAD_KEYS, testDatabase, uniqueName } from './servers';
import { startSmtpReceiver, type SmtpReceiver } from '../../stack/smtp-receiver';
import { LEAD_EMAIL, MAIL_FROM, PUBLIC_BASE_URL } from './workflow-harness';

export { PUBLIC_BASE_URL };

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON under test
}

/**
 * Calls the API with a JSON body (a string is sent as it is), as the local
 * back-office key unless `headers` say otherwise (an `authorization` or
 * `x-api-key` of their own, or `authorization: ''` for none); `headers` also
 * override the content type.
 */
export type Api = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<ApiResponse>;

export interface AppOptions {
  now?: () => Date;
  /** The API's public address (default PUBLIC_BASE_URL). */
  publicBaseUrl?: string;
  readiness?: AppDeps['readiness'];
  /** How long /readyz reuses its answer (default: the app's, 5 s). */
  readinessMaxAgeMs?: number;
  /** Whether error answers are checked to carry no stack traces or source paths (default true). */
  errorsWithoutInternals?: boolean;
  /** A check of the file's own, run on every answer. */
  check?: (res: ApiResponse, text: string) => void;
  /** Per caller (default: high enough never to interfere). */
  rateLimitPerMinute?: number;
  /** Proxies whose X-Forwarded-For is trusted (default 0). */
  trustedProxies?: number;
  /** Default: warnings and errors to the console. */
  logger?: Logger;
  /** Password-reset and link limits (default DEFAULT_ACCOUNT_LIMITS). */
  accountLimits?: AppDeps['accountLimits'];
  /** Terms and privacy versions and the human check (default DEFAULT_PORTAL_SETTINGS). */
  portal?: AppDeps['portal'];
  /** Fault points between the steps of the create paths (api/services/creation.ts). */
  faults?: AppDeps['faults'];
  /** The deadline of a request's Temporal calls (default: the app's, 10 s). */
  temporalDeadlineMs?: number;
  /** Spans of requests (observability/tracing.ts). */
  tracing?: AppDeps['tracing'];
}

export interface AppServer {
  baseUrl: string;
  /** Calls the API; error answers must be problem+json (and, unless switched off, without internals). */
  api: Api;
  close(): Promise<void>;
}

/** The app on a free port of the loopback interface. */
export async function startApp(deps: { db: Database; client: Client; taskQueue: string } & AppOptions): Promise<AppServer> {
  const app = createApp({
    models: deps.db.models,
    temporal: deps.client,
    taskQueue: deps.taskQueue,
    calendar: new BusinessCalendar(DEFAULT_RULES),
    publicBaseUrl: deps.publicBaseUrl ?? PUBLIC_BASE_URL,
    readiness: deps.readiness ?? {},
    ...(deps.readinessMaxAgeMs === undefined ? {} : { readinessMaxAgeMs: deps.readinessMaxAgeMs }),
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.accountLimits ? { accountLimits: deps.accountLimits } : {}),
    ...(deps.portal ? { portal: deps.portal } : {}),
    ...(deps.faults ? { faults: deps.faults } : {}),
    ...(deps.temporalDeadlineMs ? { temporalDeadlineMs: deps.temporalDeadlineMs } : {}),
    ...(deps.tracing ? { tracing: deps.tracing } : {}),
    security: {
      keys: loadConfig({}).api.keys, // the local keys (config/api-keys.ts)
      rateLimitPerMinute: deps.rateLimitPerMinute ?? 100_000,
      idempotencyTtlHours: 24,
      trustedProxies: deps.trustedProxies ?? 0,
    },
    // Request lines are noise here; warnings and errors (an unhandled error) are worth seeing.
    logger: deps.logger ?? createLogger('warn', { service: 'api' }),
  });
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    baseUrl,
    async api(method, path, body, headers = {}) {
      const res = await fetch(baseUrl + path, {
        method,
        headers: Object.fromEntries(
          Object.entries({
            authorization: `Bearer ${LOCAL_API_KEYS.backoffice}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...headers,
          }).filter(([name, value]) => value !== '' || name !== 'authorization'),
        ),
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status >= 400) {
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        if (deps.errorsWithoutInternals ?? true) expect(text).not.toMatch(/\bat .+:\d+:\d+|node_modules|\.ts\b|stack/i);
      }
      const isJson = /json/.test(res.headers.get('content-type') ?? '');
      const answer = { status: res.status, headers: res.headers, body: isJson && text ? JSON.parse(text) : text };
      deps.check?.(answer, text);
      return answer;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface DevServerHarness {
  client: Client;
  connection: Connection;
  /** The namespace the client and the worker use. */
  namespace: string;
  db: Database;
  receiver: SmtpReceiver;
  mailer: Mailer;
  worker: Worker;
  taskQueue: string;
  /** Starts the worker polling (done at start unless `runWorker: false`). */
  runWorker(): void;
  close(): Promise<void>;
}

export interface DevServerOptions {
  /** Creates this namespace (with the project's search attributes) and works in it; default 'default'. */
  namespace?: string;
  /** Where links in mails point (default PUBLIC_BASE_URL). */
  publicBaseUrl?: string;
  worker?: Partial<WorkerOptions>;
  /** false: the worker is created but polls only once `runWorker()` is called. */
  runWorker?: boolean;
}

export async function startDevServerHarness(options: DevServerOptions = {}): Promise<DevServerHarness> {
  const namespace = options.namespace ?? 'default';
  const [db, receiver, temporal] = await Promise.all([testDatabase(), startSmtpReceiver(), devServerClient(namespace)]);
  if (options.namespace) await createNamespace(temporal.connection, namespace);
  const taskQueue = uniqueName('api');
  const mailer: Mailer = createMailer({ smtpUrl: receiver.url, from: MAIL_FROM });
  // Versioned, as in production (workflows/versioning.ts): the dev server refuses a workflow's versioning
  // behaviour from an unversioned worker. A deployment of its own per harness, made current once it polls.
  // (A test that gives its own workerDeploymentOptions makes its version current itself.)
  const ownVersion = !options.worker?.workerDeploymentOptions;
  const deployment = { deploymentName: `test-${taskQueue}`, buildId: 'test' };
  const { worker, connection } = await createWorker({
    ...(ownVersion ? { deployment } : {}),
    temporal: { address: devServerAddress(), namespace, taskQueue },
    payloadKeys: TEST_PAYLOAD_KEYS,
    deps: {
      models: db.models,
      mailer,
      rules: DEFAULT_RULES,
      backofficeLead: LEAD_EMAIL,
      publicBaseUrl: options.publicBaseUrl ?? PUBLIC_BASE_URL,
      temporal: temporal.client,
    },
    ...(options.worker ? { options: options.worker } : {}),
  });
  let running: Promise<void> | undefined;
  let current: Promise<unknown> | undefined;
  const runWorker = () => {
    running ??= worker.run();
    if (ownVersion) current ??= setCurrentVersion(temporal.connection, namespace, deployment);
  };
  if (options.runWorker ?? true) {
    runWorker();
    await current;
  }

  return {
    client: temporal.client,
    connection: temporal.connection,
    namespace,
    db,
    receiver,
    mailer,
    worker,
    taskQueue,
    runWorker,
    async close() {
      await current?.catch(() => undefined);
      if (running) {
        if (worker.getState() === 'RUNNING') worker.shutdown(); // a test may have stopped it
        await running;
      }
      await connection.close();
      await temporal.connection.close();
      mailer.close();
      await receiver.close();
      await db.connection.dropDatabase();
      await db.close();
    },
  };
}

export interface ApiHarness extends DevServerHarness {
  baseUrl: string;
  api: Api;
}

/** The app on a free port and a worker on its own task queue against the shared dev server. */
export async function startApiHarness(options: DevServerOptions & Omit<AppOptions, 'readiness'> = {}): Promise<ApiHarness> {
  const dev = await startDevServerHarness(options);
  const { db, client, connection, taskQueue } = dev;
  const { now, publicBaseUrl, errorsWithoutInternals, check, accountLimits, tracing } = options;
  const app = await startApp({
    db,
    client,
    taskQueue,
    now,
    publicBaseUrl,
    errorsWithoutInternals,
    check,
    accountLimits,
    tracing,
    readiness: {
      mongodb: () => db.connection.db!.admin().ping(),
      temporal: () => connection.workflowService.getSystemInfo({}),
      smtp: () => smtpGreeting(dev.receiver.url),
    },
  });
  return {
    ...dev,
    baseUrl: app.baseUrl,
    api: app.api,
    async close() {
      await app.close();
      await dev.close();
    },
  };
}
