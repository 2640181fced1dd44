/**
 * Everything a workflow test file needs, started once per file: the Java
 * time-skipping server (with the project's search attributes registered), a
 * fresh database on the shared FerretDB, a real SMTP receiver, a client, and a
 * worker running the real activities in the background.
 */
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { Database } from '../../db/connection';
import { DEFAULT_RULES, type BusinessRules } from '../../domain/rules';
import { createMailer, type Mailer } from '../../email/mailer';
import { SEARCH_ATTRIBUTE_TYPES } from '../../workflows/definitions';
import { testDatabase, timeSkippingEnv, uniqueName } from './servers';
import { startSmtpReceiver, type SmtpReceiver } from './smtp';

export const LEAD_EMAIL = 'lead@xs-key.example';
export const MAIL_FROM = 'XS-Key Service <service@xs-key.example>';

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
  worker: Worker;
  taskQueue: string;
  /** The test server's clock. */
  now(): Promise<Date>;
  /** Skips the test server's clock to `at` (no-op if already past). */
  sleepUntil(at: Date): Promise<void>;
  close(): Promise<void>;
}

export async function registerSearchAttributes(env: TestWorkflowEnvironment): Promise<void> {
  const types = temporal.api.enums.v1.IndexedValueType;
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      Object.entries(SEARCH_ATTRIBUTE_TYPES).map(([name, type]) => [name, types[`INDEXED_VALUE_TYPE_${type}` as keyof typeof types]]),
    ),
  });
}

export async function startWorkflowHarness(
  options: { workflowsPath?: string; rules?: BusinessRules; worker?: Partial<WorkerOptions> } = {},
): Promise<WorkflowHarness> {
  const [env, db, receiver] = await Promise.all([timeSkippingEnv(), testDatabase(), startSmtpReceiver()]);
  await registerSearchAttributes(env);
  const taskQueue = uniqueName('wf');
  const mailer = createMailer({ smtpUrl: receiver.url, from: MAIL_FROM });
  const client = new Client({ connection: env.connection, namespace: env.namespace });
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: options.workflowsPath ?? require.resolve('../../workflows'),
    activities: createActivities({
      models: db.models,
      mailer,
      rules: options.rules ?? DEFAULT_RULES,
      backofficeLead: LEAD_EMAIL,
      publicBaseUrl: 'http://127.0.0.1:3000',
      temporal: client,
    }),
    ...options.worker,
  });
  const running = worker.run();
  return {
    env,
    client,
    db,
    receiver,
    mailer,
    worker,
    taskQueue,
    now: async () => new Date(await env.currentTimeMs()),
    sleepUntil: async (at) => env.sleep(Math.max(0, at.getTime() - (await env.currentTimeMs()))),
    async close() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      mailer.close();
      await Promise.all([env.teardown(), db.connection.dropDatabase().then(() => db.close()), receiver.close()]);
    },
  };
}
