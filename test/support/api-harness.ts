/**
 * Everything an API test file needs, started once per file: the app on a free
 * port, a client of the shared Temporal dev server, a worker on a task queue
 * of its own running the real activities, a fresh database and a real SMTP
 * receiver. `api()` checks every error answer is problem+json without
 * internals.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client, Connection } from '@temporalio/client';
import { createApp } from '../../api/app';
import type { Database } from '../../db/connection';
import { BusinessCalendar } from '../../domain/calendar';
import { DEFAULT_RULES } from '../../domain/rules';
import { createMailer, type Mailer } from '../../email/mailer';
import { createWorker } from '../../workers/worker';
import { devServerAddress, devServerClient, testDatabase, uniqueName } from './servers';
import { startSmtpReceiver, type SmtpReceiver } from './smtp';
import { LEAD_EMAIL, MAIL_FROM } from './workflow-harness';

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON under test
}

export interface ApiHarness {
  baseUrl: string;
  client: Client;
  db: Database;
  receiver: SmtpReceiver;
  taskQueue: string;
  /** Calls the API with a JSON body; error answers must be problem+json without stack traces or paths. */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  close(): Promise<void>;
}

export const PUBLIC_BASE_URL = 'http://127.0.0.1:3000';

export async function startApiHarness(options: { now?: () => Date } = {}): Promise<ApiHarness> {
  const [db, receiver, temporal] = await Promise.all([testDatabase(), startSmtpReceiver(), devServerClient()]);
  const taskQueue = uniqueName('api');
  const mailer: Mailer = createMailer({ smtpUrl: receiver.url, from: MAIL_FROM });
  const { worker, connection } = await createWorker({
    temporal: { address: devServerAddress(), namespace: 'default', taskQueue },
    deps: {
      models: db.models,
      mailer,
      rules: DEFAULT_RULES,
      backofficeLead: LEAD_EMAIL,
      publicBaseUrl: PUBLIC_BASE_URL,
      temporal: temporal.client,
    },
  });
  const running = worker.run();
  const app = createApp({
    models: db.models,
    temporal: temporal.client,
    taskQueue,
    calendar: new BusinessCalendar(DEFAULT_RULES),
    publicBaseUrl: PUBLIC_BASE_URL,
    readiness: {
      mongodb: () => db.connection.db!.admin().ping(),
      temporal: () => temporal.connection.workflowService.getSystemInfo({}),
      smtp: () => mailer.verify(),
    },
    ...(options.now ? { now: options.now } : {}),
    log: (msg, data) => {
      if (msg !== 'request') console.error(msg, data);
    },
  });
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    baseUrl,
    client: temporal.client,
    db,
    receiver,
    taskQueue,
    async api(method, path, body, headers = {}) {
      const res = await fetch(baseUrl + path, {
        method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status >= 400) {
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(text).not.toMatch(/\bat .+:\d+:\d+|node_modules|\.ts\b/);
      }
      const isJson = /json/.test(res.headers.get('content-type') ?? '');
      return { status: res.status, headers: res.headers, body: isJson && text ? JSON.parse(text) : text };
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      worker.shutdown();
      await running;
      await (connection as { close(): Promise<void> }).close();
      await (temporal.connection as Connection).close();
      mailer.close();
      await receiver.close();
      await db.connection.dropDatabase();
      await db.close();
    },
  };
}
