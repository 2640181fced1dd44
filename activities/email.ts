/**
 * Sending email, exactly once per (workflow, purpose, period).
 *
 * The outbox record, keyed by that triple, is checked before the SMTP call and
 * marked sent after it, and the Message-ID is derived from the key: a retried
 * activity, a replayed workflow or a re-triggered run finds the record and
 * does not send again. The SMTP server's acceptance is also recorded in
 * Temporal at once, as the attempt's heartbeat: a retry that finds it does not
 * send again even when the database lost or refused the `sent` mark (down,
 * frozen, failing over). The one window left is SMTP's own (RFC 1047): a crash
 * between the server's acceptance and that heartbeat reaching Temporal, a few
 * milliseconds; the retry then re-sends the same Message-ID, which mail
 * systems collapse into one message.
 *
 * An attempt never sends after its deadline: the mailer (email/mailer.ts)
 * queues the message for a connection and starts the SMTP transaction only if
 * it can end before the attempt's start-to-close deadline, time spent queued
 * included; while it waits, the attempt heartbeats.
 */
import { createHash } from 'node:crypto';
import { Context, log, metricMeter } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Models } from '../db/models';
import { SendWindowClosedError, type Mailer, type SendWindow } from '../email/mailer';
import { renderEmail, type Language, type TemplateId } from '../email/templates';
import { notFound } from '../workflows/definitions';

export type Recipient =
  | { kind: 'company-contact'; companyId: string }
  | { kind: 'card-user'; xsId: string }
  | { kind: 'backoffice-lead' }
  | { kind: 'address'; email: string; language: Language };

export interface EmailKey {
  workflowId: string;
  /** What the email is for, e.g. `contract-approved`. */
  purpose: string;
  /** For repeating emails: the period it covers, e.g. `2026-03` for a digest. */
  period?: string;
}

export interface SendEmailInput {
  key: EmailKey;
  to: Recipient;
  template: TemplateId;
  data: Record<string, string>;
}

export interface SendEmailResult {
  outcome: 'sent' | 'already-sent';
  messageId: string;
}

/** What an attempt records in its heartbeat once the SMTP server accepted the email. */
interface SmtpAccepted {
  smtpAccepted: string;
}

/**
 * The worker's heartbeat throttle (WorkerOptions.maxHeartbeatThrottleInterval, workers/worker.ts). The
 * SDK sends a heartbeat at once only if none went out within this interval; the heartbeat that records the
 * SMTP acceptance must go out at once, so a send that heartbeated while waiting holds back this long first.
 */
export const HEARTBEAT_THROTTLE_MS = 1_000;

/**
 * The window of the current attempt for the mailer: its start-to-close deadline (from the attempt's
 * scheduled time, so it is never late), a heartbeat while it waits, and the activity's cancellation.
 */
export function attemptSendWindow(): SendWindow {
  const context = Context.current();
  const { currentAttemptScheduledTimestampMs, startToCloseTimeoutMs } = context.info;
  return {
    deadlineMs: startToCloseTimeoutMs ? currentAttemptScheduledTimestampMs + startToCloseTimeoutMs : Number.POSITIVE_INFINITY,
    onWait: () => context.heartbeat(),
    quietAfterWaitMs: HEARTBEAT_THROTTLE_MS + 250,
    signal: context.cancellationSignal,
  };
}

/** Sends through the mailer inside this attempt's window; a closed window is a retryable failure that sent nothing. */
export async function sendInAttempt(mailer: Mailer, message: Parameters<Mailer['send']>[0]): Promise<void> {
  try {
    await mailer.send(message, attemptSendWindow());
  } catch (err) {
    if (err instanceof SendWindowClosedError) throw ApplicationFailure.retryable(err.message, 'SendWindowClosed');
    throw err;
  }
}

export const outboxKey = (k: EmailKey): string => [k.workflowId, k.purpose, k.period].filter(Boolean).join(':');

export function messageIdFor(key: string, from: string): string {
  const domain = /@([^>\s]+)/.exec(from)?.[1] ?? 'xs-backoffice.local';
  return `<${createHash('sha256').update(key).digest('hex').slice(0, 40)}@${domain}>`;
}

export function createEmailActivities(deps: { models: Models; mailer: Mailer; backofficeLead: string }) {
  const { EmailOutbox, Company, CardUser } = deps.models;

  async function resolve(to: Recipient): Promise<{ email: string; language: Language }> {
    switch (to.kind) {
      case 'address':
        return { email: to.email, language: to.language };
      case 'backoffice-lead':
        return { email: deps.backofficeLead, language: 'en' };
      case 'company-contact': {
        const company = await Company.findById(to.companyId, { contact: 1 }).lean();
        if (!company?.contact) throw notFound(`company ${to.companyId} not found`);
        return { email: company.contact.email, language: company.contact.language as Language };
      }
      case 'card-user': {
        const user = await CardUser.findById(to.xsId, { email: 1, language: 1 }).lean();
        if (!user) throw notFound(`card user ${to.xsId} not found`);
        return { email: user.email, language: user.language as Language };
      }
    }
  }

  /** The outbox entry of an attempt: written once (pending), counted on every attempt. */
  async function recordPending(key: string, entry: { messageId: string; to: string; template: string; language: Language; subject: string }): Promise<void> {
    await EmailOutbox.updateOne({ _id: key }, { $setOnInsert: { ...entry, status: 'pending' }, $inc: { attempts: 1 } }, { upsert: true });
  }

  /**
   * The mail is out: the `sent` mark must not be lost to a passing database error (a busy
   * SQLite, a failover), or the retry would send it again. Retried here, inside this attempt.
   */
  async function markSent(key: string): Promise<void> {
    for (let i = 0; ; i++) {
      try {
        await EmailOutbox.updateOne({ _id: key }, { $set: { status: 'sent', sentAt: new Date() } });
        return;
      } catch (err) {
        if (i >= 8) throw err;
        log.warn('marking the email sent failed; retrying', { key, error: (err as Error).message });
        await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** Math.min(i, 4)));
      }
    }
  }

  return {
    async sendEmail(input: SendEmailInput): Promise<SendEmailResult> {
      const key = outboxKey(input.key);
      const messageId = messageIdFor(key, deps.mailer.from);
      const existing = await EmailOutbox.findById(key, { status: 1, messageId: 1 }).lean();
      const counted = (outcome: SendEmailResult['outcome']) =>
        metricMeter
          .createCounter('xs_emails', 'emails', 'Emails by template and outcome (sent, or already-sent: a retry that sent nothing)')
          .add(1, { template: input.template, outcome });
      if (existing?.status === 'sent') {
        log.info('email already sent, not sending again', { key });
        counted('already-sent');
        return { outcome: 'already-sent', messageId: existing.messageId };
      }
      const recipient = await resolve(input.to);
      const message = renderEmail(input.template, recipient.language, input.data);
      await recordPending(key, { messageId, to: recipient.email, template: input.template, language: recipient.language, subject: message.subject });
      const context = Context.current();
      const { heartbeatDetails } = context.info;
      if ((heartbeatDetails as SmtpAccepted | undefined)?.smtpAccepted === messageId) {
        log.info('an earlier attempt had the email accepted by the SMTP server; marking it sent without sending again', { key });
      } else {
        // An attempt that outlived its start-to-close timeout (stuck on a frozen database, or queued behind a
        // slow relay) has a successor already: it must not send too. The mailer checks when a connection is free.
        await sendInAttempt(deps.mailer, {
          messageId,
          from: deps.mailer.from,
          to: recipient.email,
          subject: message.subject,
          text: message.text,
          html: message.html,
          headers: { 'X-XS-Outbox-Key': key },
        });
        // The SDK sends an attempt's first heartbeat to the server without delay, and the server
        // hands the details to the next attempt however this one ends (failed, timed out, killed).
        context.heartbeat({ smtpAccepted: messageId } satisfies SmtpAccepted);
      }
      await markSent(key);
      counted('sent');
      return { outcome: 'sent', messageId };
    },
  };
}
