/**
 * The email activity against the real FerretDB and a real SMTP receiver: the
 * outbox makes every (workflow, purpose, period) one mail, whatever the retries.
 */
import { createServer, type AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities, type Activities } from '../../activities';
import { messageIdFor, outboxKey, type EmailKey, type SendEmailInput, type SendEmailResult } from '../../activities/email';
import type { Database } from '../../db/connection';
import { DEFAULT_RULES } from '../../domain/rules';
import { certainlyNotSent, createMailer, type Mailer } from '../../email/mailer';
import { renderEmail } from '../../email/templates';
import { testDatabase, uniqueName } from '../support/servers';
import { freshAttempt } from '../support/workflow-harness';
import { startSmtpReceiver, type SmtpReceiver } from '../../stack/smtp-receiver';
import { insertCompany } from '../support/fixtures';

const FROM = 'XS-Key Service <service@xs-key.example>';

let db: Database;
let receiver: SmtpReceiver;
let mailer: Mailer;
let activities: Activities;

beforeAll(async () => {
  [db, receiver] = await Promise.all([testDatabase(), startSmtpReceiver()]);
  mailer = createMailer({ smtpUrl: receiver.url, from: FROM });
  activities = buildActivities(mailer);
});

afterAll(async () => {
  mailer?.close();
  await receiver?.close();
  await db?.connection.dropDatabase();
  await db?.close();
});

function buildActivities(m: Mailer): Activities {
  return createActivities({
    models: db.models,
    mailer: m,
    rules: DEFAULT_RULES,
    backofficeLead: 'lead@xs-key.example',
    publicBaseUrl: 'http://127.0.0.1',
  });
}

/** Runs sendEmail the way a worker would, in an activity context (SDK logging kept to errors). */
function sendEmail(input: SendEmailInput, acts: Activities = activities): Promise<SendEmailResult> {
  return new MockActivityEnvironment(freshAttempt(), { logger: new DefaultLogger('ERROR') }).run(acts.sendEmail, input);
}

const mailsWithId = (messageId: string) => receiver.messages.filter((m) => m.messageId === messageId);

function approvalMail(key: EmailKey, to: SendEmailInput['to'] = { kind: 'address', email: 'contact@acme.example', language: 'en' }): SendEmailInput {
  return { key, to, template: 'contract-approved', data: { companyName: 'Acme Logistics B.V.', customerNumber: '1234567' } };
}


/** A TCP port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('running the same sendEmail twice sends one mail; the second run reports already-sent with the same Message-ID', async () => {
  const input = approvalMail({ workflowId: uniqueName('contract'), purpose: 'contract-approved' });

  const first = await sendEmail(input);
  const second = await sendEmail(input);

  expect(first.outcome).toBe('sent');
  expect(second).toEqual({ outcome: 'already-sent', messageId: first.messageId });
  expect(mailsWithId(first.messageId)).toHaveLength(1);
  const outbox = await db.models.EmailOutbox.findById(outboxKey(input.key)).lean();
  expect(outbox).toMatchObject({ status: 'sent', attempts: 1, to: 'contact@acme.example', template: 'contract-approved' });
});

test('the Message-ID is derived from the outbox key and the sender domain', async () => {
  const key = { workflowId: uniqueName('contract'), purpose: 'contract-approved' };
  const expected = messageIdFor(outboxKey(key), FROM);
  expect(expected).toMatch(/^<[0-9a-f]{40}@xs-key\.example>$/);

  const result = await sendEmail(approvalMail(key));

  expect(result.messageId).toBe(expected);
  const [mail] = mailsWithId(expected);
  expect(mail).toBeDefined();
  expect(mail!.headers.get('x-xs-outbox-key')).toBe(outboxKey(key));
  expect(mail!.headers.get('from')).toMatchObject({ value: [{ address: 'service@xs-key.example', name: 'XS-Key Service' }] });
});

test('different periods of the same workflow and purpose are different mails', async () => {
  const workflowId = uniqueName('digest');
  const march = await sendEmail(approvalMail({ workflowId, purpose: 'digest', period: '2026-03' }));
  const april = await sendEmail(approvalMail({ workflowId, purpose: 'digest', period: '2026-04' }));
  const marchAgain = await sendEmail(approvalMail({ workflowId, purpose: 'digest', period: '2026-03' }));

  expect([march.outcome, april.outcome, marchAgain.outcome]).toEqual(['sent', 'sent', 'already-sent']);
  expect(april.messageId).not.toBe(march.messageId);
  expect(mailsWithId(march.messageId)).toHaveLength(1);
  expect(mailsWithId(april.messageId)).toHaveLength(1);
});

test.each([
  ['de', 'Ihr XS-Key-Vertrag ist genehmigt (Kundennummer 1234567)', 'Mit freundlichen Grüßen'],
  ['en', 'Your XS-Key contract is approved (customer number 1234567)', 'Kind regards'],
] as const)('the company contact gets the %s template', async (language, subject, greeting) => {
  const { companyId, contact: email } = await insertCompany(db.models, { name: 'Hafen Logistik GmbH', language });
  const input = approvalMail({ workflowId: uniqueName('contract'), purpose: 'contract-approved' }, { kind: 'company-contact', companyId });

  const { messageId } = await sendEmail(input);

  const [mail] = mailsWithId(messageId);
  expect(mail).toMatchObject({ to: [email], subject });
  expect(mail!.text).toContain(greeting);
  expect(mail!.html).toContain(`lang="${language}"`);
  expect(await db.models.EmailOutbox.findById(outboxKey(input.key)).lean()).toMatchObject({ language, to: email, subject });
});

test('SMTP down: the activity throws and leaves a pending record; a later attempt sends exactly once', async () => {
  const input = approvalMail({ workflowId: uniqueName('contract'), purpose: 'contract-approved' });
  const key = outboxKey(input.key);
  const downMailer = createMailer({ smtpUrl: `smtp://127.0.0.1:${await closedPort()}`, from: FROM });
  try {
    await expect(sendEmail(input, buildActivities(downMailer))).rejects.toThrow(/ECONNREFUSED|connect/i);
  } finally {
    downMailer.close();
  }
  expect(await db.models.EmailOutbox.findById(key).lean()).toMatchObject({ status: 'pending', attempts: 1 });
  const messageId = messageIdFor(key, FROM);
  expect(mailsWithId(messageId)).toHaveLength(0);

  const retried = await sendEmail(input);
  const again = await sendEmail(input);

  expect(retried).toEqual({ outcome: 'sent', messageId });
  expect(again).toEqual({ outcome: 'already-sent', messageId });
  expect(mailsWithId(messageId)).toHaveLength(1);
  expect(await db.models.EmailOutbox.findById(key).lean()).toMatchObject({ status: 'sent', attempts: 2, sentAt: expect.any(Date) });
});

test('an unknown company is a NotFound ApplicationFailure, and nothing is sent or recorded', async () => {
  const input = approvalMail(
    { workflowId: uniqueName('contract'), purpose: 'contract-approved' },
    { kind: 'company-contact', companyId: 'co_doesnotexist' },
  );
  const before = receiver.messages.length;

  const error = await sendEmail(input).catch((err: unknown) => err);

  expect(error).toBeInstanceOf(ApplicationFailure);
  expect(error).toMatchObject({ type: 'NotFound', nonRetryable: true });
  expect(receiver.messages).toHaveLength(before);
  expect(await db.models.EmailOutbox.findById(outboxKey(input.key)).lean()).toBeNull();
});

describe('HTML escaping', () => {
  const hostile = { companyName: '<script>alert("x")</script> & Co', reason: '<img src=x onerror=alert(1)>' };

  test('renderEmail escapes data in the HTML and keeps the text part verbatim', () => {
    const { html, text } = renderEmail('contract-rejected', 'en', hostile);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(text).toContain(hostile.companyName);
  });

  test('the mail that arrives carries no live markup from the data', async () => {
    const { messageId } = await sendEmail({
      key: { workflowId: uniqueName('contract'), purpose: 'contract-rejected' },
      to: { kind: 'address', email: 'contact@acme.example', language: 'de' },
      template: 'contract-rejected',
      data: hostile,
    });
    const [mail] = mailsWithId(messageId);
    expect(mail!.html).not.toMatch(/<script|<img/i);
    expect(mail!.html).toContain('&lt;script&gt;');
  });
});

test('an attempt that outlived its start-to-close timeout does not send (its successor does, once)', async () => {
  const input = approvalMail({ workflowId: uniqueName('contract'), purpose: 'contract-approved' });
  const stale = { currentAttemptScheduledTimestampMs: Date.now() - 31_000, startToCloseTimeoutMs: 30_000 };
  const late = new MockActivityEnvironment(stale, { logger: new DefaultLogger('ERROR') }).run(activities.sendEmail, input);
  await expect(late).rejects.toMatchObject({ type: 'SendWindowClosed' });
  const messageId = messageIdFor(outboxKey(input.key), FROM);
  expect(mailsWithId(messageId)).toHaveLength(0);

  expect((await sendEmail(input)).outcome).toBe('sent');
  expect((await sendEmail(input)).outcome).toBe('already-sent');
  expect(mailsWithId(messageId)).toHaveLength(1);
});

test('the SMTP acceptance is recorded as the attempt\'s heartbeat: a retry that finds it marks the email sent without sending it again', async () => {
  const input = approvalMail({ workflowId: uniqueName('contract'), purpose: 'contract-approved' });
  const key = outboxKey(input.key);
  const messageId = messageIdFor(key, FROM);
  const first = new MockActivityEnvironment(freshAttempt(), { logger: new DefaultLogger('ERROR') });
  const heartbeats: unknown[] = [];
  first.on('heartbeat', (d: unknown) => heartbeats.push(d));
  expect(((await first.run(activities.sendEmail, input)) as SendEmailResult).outcome).toBe('sent');
  expect(heartbeats).toEqual([{ smtpAccepted: messageId }]);

  // The `sent` mark lost (the database went away right after the SMTP server accepted the email).
  await db.models.EmailOutbox.updateOne({ _id: key }, { $set: { status: 'pending' }, $unset: { sentAt: 1 } });
  const retry = new MockActivityEnvironment({ ...freshAttempt(), attempt: 2, heartbeatDetails: heartbeats[0] }, { logger: new DefaultLogger('ERROR') });
  expect(await retry.run(activities.sendEmail, input)).toEqual({ outcome: 'sent', messageId });
  expect(mailsWithId(messageId)).toHaveLength(1);
  expect(await db.models.EmailOutbox.findById(key, { status: 1 }).lean()).toMatchObject({ status: 'sent' });

  // Without the heartbeat the same lost mark means a second send: the heartbeat is what prevents it.
  await db.models.EmailOutbox.updateOne({ _id: key }, { $set: { status: 'pending' } });
  await sendEmail(input);
  expect(mailsWithId(messageId)).toHaveLength(2);
});

describe('a slow relay: no attempt sends after its deadline, time spent queued included', () => {
  // A relay that takes 250 ms a message, one pooled connection, transactions budgeted at 1.5 s and attempts of 2 s:
  // a message may start its transaction only in the first 0.5 s of its attempt. Twelve at once need 3 s.
  const timeouts = { connectionTimeout: 500, greetingTimeout: 500, socketTimeout: 500 };
  const attemptMs = 2_000;
  let slow: SmtpReceiver;
  let slowMailer: Mailer;

  beforeAll(async () => {
    slow = await startSmtpReceiver({ answerDelayMs: () => 250, deliversAfterHangUp: true });
    slowMailer = createMailer({ smtpUrl: slow.url, from: FROM, maxConnections: 1, timeouts });
  });
  afterAll(async () => {
    slowMailer?.close();
    await slow?.close();
  });

  /**
   * What Temporal does with one activity: attempt 1 now; when an attempt fails retryably the next one starts after
   * a short backoff, and when an attempt is still running at its start-to-close deadline the next one starts then,
   * while the late one goes on (a worker cannot stop a running promise). Returns every attempt's outcome.
   */
  async function asTemporalWould(input: SendEmailInput, acts: Activities, heartbeats: Map<number, number>): Promise<string[]> {
    const outcomes: string[] = [];
    const running: Promise<unknown>[] = [];
    for (let attempt = 1; attempt <= 20; attempt++) {
      const info = { currentAttemptScheduledTimestampMs: Date.now(), startToCloseTimeoutMs: attemptMs, attempt };
      const env = new MockActivityEnvironment(info, { logger: new DefaultLogger('ERROR') });
      env.on('heartbeat', () => heartbeats.set(attempt, (heartbeats.get(attempt) ?? 0) + 1));
      const run = env.run(acts.sendEmail, input).then(
        (r) => void outcomes.push(`${attempt}:${(r as SendEmailResult).outcome}`),
        (e: ApplicationFailure) => void outcomes.push(`${attempt}:${e.type ?? e.message}`),
      );
      running.push(run);
      const timedOut = await Promise.race([run.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), attemptMs))]);
      if (!timedOut && outcomes.at(-1)!.endsWith(':sent')) break;
      if (!timedOut && outcomes.at(-1)!.endsWith(':already-sent')) break;
      if (!timedOut) await new Promise((r) => setTimeout(r, 100)); // retry backoff
    }
    await Promise.all(running);
    return outcomes;
  }

  test('twelve mails at once through one slow connection: each is delivered exactly once, and queued attempts past their window send nothing', async () => {
    const acts = buildActivities(slowMailer);
    const inputs = Array.from({ length: 12 }, (_, i) => approvalMail({ workflowId: uniqueName('slow'), purpose: `contract-approved-${i}` }));
    const heartbeats = new Map<number, number>();
    const outcomes = await Promise.all(inputs.map((input) => asTemporalWould(input, acts, heartbeats)));
    await new Promise((r) => setTimeout(r, 500)); // anything a late attempt might still send would arrive by now

    const delivered = inputs.map((input) => slow.messages.filter((m) => m.messageId === messageIdFor(outboxKey(input.key), FROM)).length);
    expect(delivered).toEqual(inputs.map(() => 1));
    // Some attempts found the window closed while queued (the retry sent), and none of them sent anything.
    expect(outcomes.flat().filter((o) => o.endsWith(':SendWindowClosed')).length).toBeGreaterThan(0);
    expect(slowMailer.waiting()).toBe(0);
  });
});

describe('certainlyNotSent: what a failed send tells about the message', () => {
  test('refused connection: certainly not sent; a relay that goes quiet after taking the message: uncertain', async () => {
    const window = { deadlineMs: Date.now() + 60_000 };
    const message = { from: FROM, to: 'x@acme.example', subject: 's', text: 't' };
    const down = createMailer({ smtpUrl: `smtp://127.0.0.1:${await closedPort()}`, from: FROM });
    const refused = await down.send(message, window).catch((e: unknown) => e);
    down.close();
    expect(certainlyNotSent(refused)).toBe(true);

    const quiet = await startSmtpReceiver({ answerDelayMs: () => 1_500, deliversAfterHangUp: true });
    const impatient = createMailer({ smtpUrl: quiet.url, from: FROM, timeouts: { connectionTimeout: 500, greetingTimeout: 500, socketTimeout: 300 } });
    const unanswered = await impatient.send(message, window).catch((e: unknown) => e);
    impatient.close();
    expect(unanswered).toBeInstanceOf(Error);
    expect(certainlyNotSent(unanswered)).toBe(false);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(quiet.messages).toHaveLength(1); // it did arrive: a fresh link now would have been a second live one
    await quiet.close();
  });
});
