/**
 * Everything a workflow test file needs, started once per file: the Java
 * time-skipping server (with the project's search attributes registered), a
 * fresh database on the shared FerretDB, a real SMTP receiver, a client, and a
 * worker running the real activities in the background.
 */
import { Client, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type Activities } from '../../activities';
import type { Database } from '../../db/connection';
import { BusinessCalendar, type IsoDay } from '../../domain/calendar';
import { DEFAULT_RULES, type BusinessRules } from '../../domain/rules';
import { HEARTBEAT_THROTTLE_MS } from '../../activities/email';
import { createMailer, type Mailer } from '../../email/mailer';
import { searchAttributeTypes, testDatabase, testDataConverter, timeSkippingEnv, uniqueName } from './servers';
import { startSmtpReceiver, type SmtpReceiver } from '../../stack/smtp-receiver';

export const LEAD_EMAIL = 'lead@xs-key.example';
export const MAIL_FROM = 'XS-Key Service <service@xs-key.example>';
/** Where links in mails point unless a test says otherwise. */
export const PUBLIC_BASE_URL = 'http://127.0.0.1:3000';

export interface WorkflowHarness {
  env: TestWorkflowEnvironment;
  /**
   * A plain client: `env.client.result()` skips the server's clock to the
   * 10-year run timeout while it waits, so tests move time only with env.sleep.
   */
  client: Client;
  db: Database;
  receiver: SmtpReceiver;
  mailer: Mailer;
  /** The activities the worker runs (for running one on its own in a MockActivityEnvironment). */
  activities: Activities;
  worker: Worker;
  taskQueue: string;
  /** The test server's clock. */
  now(): Promise<Date>;
  /** Skips the test server's clock to `at` (no-op if already past). */
  sleepUntil(at: Date): Promise<void>;
  /** The first working day (of the harness's rules) at least `minDays` calendar days ahead of the test server's clock. */
  workingDayAhead(minDays?: number): Promise<IsoDay>;
  close(): Promise<void>;
}

/** The failure an Update was refused with (by its validator or its handler). */
export async function updateRefusal(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

/** The workflows upsert the project's search attributes; the time-skipping server refuses ones it does not know. */
export async function registerSearchAttributes(env: TestWorkflowEnvironment): Promise<void> {
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: searchAttributeTypes(),
  });
}

export interface WorkflowHarnessOptions {
  /** A test bundle with stand-ins for other processes (default: the real workflows). */
  workflowsPath?: string;
  rules?: BusinessRules;
  /** Where links in mails point (default PUBLIC_BASE_URL). */
  publicBaseUrl?: string;
  worker?: Partial<WorkerOptions>;
}

/**
 * The harness of a workflow test file: started before its first test, closed after its last (the hooks are
 * registered here). The object is filled in once it has started: use its fields inside tests and hooks only.
 * A file that needs more set-up adds its own `beforeAll` after this call; jest runs it after this one.
 */
export function useWorkflowHarness(options: WorkflowHarnessOptions = {}): WorkflowHarness {
  const h = {} as WorkflowHarness;
  beforeAll(async () => {
    Object.assign(h, await startWorkflowHarness(options));
  });
  afterAll(async () => {
    await h.close?.();
  });
  return h;
}

export async function startWorkflowHarness(options: WorkflowHarnessOptions = {}): Promise<WorkflowHarness> {
  const [env, db, receiver] = await Promise.all([timeSkippingEnv(), testDatabase(), startSmtpReceiver()]);
  await registerSearchAttributes(env);
  const taskQueue = uniqueName('wf');
  const mailer = createMailer({ smtpUrl: receiver.url, from: MAIL_FROM });
  const client = new Client({ connection: env.connection, namespace: env.namespace, dataConverter: testDataConverter() });
  const activities = createActivities({
    models: db.models,
    mailer,
    rules: options.rules ?? DEFAULT_RULES,
    backofficeLead: LEAD_EMAIL,
    publicBaseUrl: options.publicBaseUrl ?? PUBLIC_BASE_URL,
    temporal: client,
  });
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: options.workflowsPath ?? require.resolve('../../workflows'),
    activities,
    maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE_MS,
    ...options.worker,
    dataConverter: testDataConverter(),
  });
  const running = worker.run();
  const calendar = new BusinessCalendar(options.rules ?? DEFAULT_RULES);
  return {
    env,
    client,
    db,
    receiver,
    mailer,
    activities,
    worker,
    taskQueue,
    now: async () => new Date(await env.currentTimeMs()),
    async sleepUntil(at) {
      const ms = at.getTime() - (await env.currentTimeMs());
      if (ms > 0) await env.sleep(ms);
    },
    async workingDayAhead(minDays = 3) {
      let day = calendar.dayOf(new Date((await env.currentTimeMs()) + minDays * 86_400_000));
      while (!calendar.isWorkingDay(day)) day = calendar.addDays(day, 1);
      return day;
    },
    async close() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      mailer.close();
      await Promise.all([env.teardown(), db.connection.dropDatabase().then(() => db.close()), receiver.close()]);
    },
  };
}

/**
 * The activity info of a fresh attempt with the project's 30 s start-to-close timeout, for
 * MockActivityEnvironment (whose default attempt was scheduled in 1970 and so has timed out).
 */
export const freshAttempt = () => ({ currentAttemptScheduledTimestampMs: Date.now(), startToCloseTimeoutMs: 30_000 });
