/**
 * How the API answers when a dependency is out of reach: the errors come from
 * the real MongoDB and Temporal clients pointed at a loopback port nothing
 * listens on, and go through the API's problem handler over HTTP. A dependency
 * outage is a 503 with Retry-After (the client retries and loses nothing); a
 * bug stays a 500.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import express from 'express';
import mongoose from 'mongoose';
import { Client, Connection } from '@temporalio/client';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ActivityFailure, RetryState, TimeoutFailure, TimeoutType } from '@temporalio/common';
import { isTransient, problemHandler, UNAVAILABLE_RETRY_AFTER_SECONDS } from '../../api/errors';
import { createLogger, type Level } from '../../observability/logger';

/** A loopback port that was free a moment ago and has nothing listening on it now. */
async function closedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function mongoError(): Promise<unknown> {
  const conn = mongoose.createConnection(`mongodb://127.0.0.1:${await closedPort()}/unreachable`, { serverSelectionTimeoutMS: 300 });
  conn.on('error', () => undefined);
  const Thing = conn.model('Thing', new mongoose.Schema({ name: String }));
  try {
    await Thing.findOne({ name: 'x' }).lean();
    throw new Error('expected the query to fail');
  } catch (err) {
    return err;
  } finally {
    await conn.close().catch(() => undefined);
  }
}

async function temporalError(): Promise<unknown> {
  const connection = Connection.lazy({ address: `127.0.0.1:${await closedPort()}` });
  const client = new Client({ connection });
  try {
    await client.withDeadline(Date.now() + 1_500, () =>
      client.workflow.start('anything', { taskQueue: 'nowhere', workflowId: 'unreachable', args: [] }),
    );
    throw new Error('expected the start to fail');
  } catch (err) {
    return err;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** Serves one route that fails with `err`, through the API's problem handler. */
async function answerFor(err: unknown) {
  const logged: Array<{ level: Level; line: string }> = [];
  const app = express();
  app.use((_req, res, next) => void ((res.locals.requestId = 'req-test'), next()));
  app.get('/fails', (_req, _res, next) => next(err));
  app.use(problemHandler(createLogger('info', {}, (line, level) => logged.push({ level, line }))));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/fails`);
    return { status: res.status, retryAfter: res.headers.get('retry-after'), type: res.headers.get('content-type'), body: (await res.json()) as Record<string, unknown>, logged };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('a dependency out of reach', () => {
  test('MongoDB unreachable: 503 with Retry-After, a warning logged, no internals in the answer', async () => {
    const err = await mongoError();
    expect(isTransient(err)).toBe(true);
    const answer = await answerFor(err);
    expect(answer).toMatchObject({ status: 503, retryAfter: String(UNAVAILABLE_RETRY_AFTER_SECONDS), type: expect.stringContaining('application/problem+json') });
    expect(answer.body).toMatchObject({ status: 503, title: 'Service unavailable', requestId: 'req-test' });
    expect(JSON.stringify(answer.body)).not.toMatch(/127\.0\.0\.1|Mongo/);
    expect(answer.logged.map((l) => l.level)).toEqual(['warn']);
  });

  test('the Temporal server unreachable: 503 with Retry-After', async () => {
    const err = await temporalError();
    expect(isTransient(err)).toBe(true);
    const answer = await answerFor(err);
    expect(answer).toMatchObject({ status: 503, retryAfter: String(UNAVAILABLE_RETRY_AFTER_SECONDS) });
    expect(JSON.stringify(answer.body)).not.toMatch(/127\.0\.0\.1|grpc/i);
  }, 30_000);

  test('a check inside an Update that ran out of its bounded time (the PIN check): 503 with Retry-After, nothing changed', async () => {
    const timedOut = new ActivityFailure('activity failed', 'verifyCardPin', '1', RetryState.TIMEOUT, undefined, new TimeoutFailure('activity ScheduleToClose timeout', undefined, TimeoutType.SCHEDULE_TO_CLOSE));
    const err = new WorkflowUpdateFailedError('Workflow Update failed', timedOut);
    expect(isTransient(err)).toBe(true);
    expect(await answerFor(err)).toMatchObject({ status: 503, retryAfter: String(UNAVAILABLE_RETRY_AFTER_SECONDS) });
  });

  test('FerretDB busy with another writer (SQLITE_BUSY): 503', () => {
    expect(isTransient(Object.assign(new Error('database is locked (5) (SQLITE_BUSY)'), { name: 'MongoServerError' }))).toBe(true);
  });

  test('a bug is still a 500 without a Retry-After, logged as an error', async () => {
    const err = new TypeError("Cannot read properties of undefined (reading 'companyId')");
    expect(isTransient(err)).toBe(false);
    const answer = await answerFor(err);
    expect(answer).toMatchObject({ status: 500, retryAfter: null });
    expect(answer.body).toMatchObject({ title: 'Internal error' });
    expect(answer.logged.map((l) => l.level)).toEqual(['error']);
  });
});
