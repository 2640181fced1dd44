/**
 * The SMTP transport (nodemailer), one per process, and the one way mail is
 * sent: `send`, which never starts an SMTP transaction that could outlive the
 * caller's deadline.
 *
 * Why: the transport is a pool of a few connections. A message handed to it
 * waits in the pool's queue until a connection is free, and with a slow relay
 * (1-2 s a message) and a hundred messages in flight that wait is longer than
 * an email activity's 30 s attempt. Temporal then starts the next attempt, which
 * sends, and the queued message of the first attempt went out too. So messages
 * wait here, in a queue of our own with one place per connection, where the
 * deadline is checked at the moment a connection is free (not when the message
 * was queued), and the caller is told every few seconds that it still waits
 * (the email activity heartbeats then).
 */
import nodemailer, { type SendMailOptions, type Transporter } from 'nodemailer';
import SMTPPool from 'nodemailer/lib/smtp-pool';

export interface MailConfig {
  smtpUrl: string;
  from: string;
  /** SMTP connections kept open and reused (SMTP_MAX_CONNECTIONS; default 5). */
  maxConnections?: number;
  /** The transport's timeouts (default SMTP_TIMEOUTS); their sum is the budget of one transaction. */
  timeouts?: SmtpTimeouts;
}

export interface SmtpTimeouts {
  connectionTimeout: number;
  greetingTimeout: number;
  socketTimeout: number;
}

/** A new connection per mail costs a TCP and SMTP handshake, and many relays pause before their greeting. */
export const DEFAULT_SMTP_CONNECTIONS = 5;

/**
 * The transport's default timeouts. Their sum is the longest one SMTP transaction may
 * take before the transport gives up (a stalled relay), so a message is sent
 * only when at least that much of the caller's time is left.
 */
export const SMTP_TIMEOUTS: SmtpTimeouts = { connectionTimeout: 5_000, greetingTimeout: 5_000, socketTimeout: 10_000 };
export const transactionBudgetMs = (t: SmtpTimeouts): number => t.connectionTimeout + t.greetingTimeout + t.socketTimeout;

/** While a message waits for a connection, the caller hears from it this often. */
export const SEND_WAIT_TICK_MS = 5_000;

export interface SendWindow {
  /** The caller's deadline (ms since the epoch): the SMTP transaction must be able to end before it. */
  deadlineMs: number;
  /** Called every SEND_WAIT_TICK_MS while the message waits for a connection. */
  onWait?: () => void;
  /**
   * After an `onWait` call, hold the connection this long before sending. The
   * email activity heartbeats in `onWait`, and the SDK throttles heartbeats:
   * the heartbeat recording the server's acceptance must not be held back by
   * a waiting one just before it.
   */
  quietAfterWaitMs?: number;
  /** Stops waiting (the activity was cancelled). */
  signal?: AbortSignal;
}

/** The message was not handed to the SMTP server: too little of the caller's time was left. Nothing was sent. */
export class SendWindowClosedError extends Error {
  override readonly name = 'SendWindowClosedError';
}

/** Errors of the connection phase: nothing of the message was on the wire yet. */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * Whether a failed send certainly left nothing at the SMTP server: it was never handed over (the window
 * closed), the connection or the handshake failed, or the server answered with a refusal. A timeout while
 * talking or a dropped connection is not certain: the server may have taken the message before it went
 * quiet. (nodemailer names the phase poorly, "CONN" for a socket timeout at any point, so this reads the
 * error's code, errno and message.)
 */
export function certainlyNotSent(err: unknown): boolean {
  if (err instanceof SendWindowClosedError) return true;
  const e = err as { code?: string; errno?: number | string; responseCode?: number; type?: string; message?: string; cause?: { code?: string } } | null;
  if (!e) return false;
  if (e.type === 'SendWindowClosed') return true; // the activity's retryable form of SendWindowClosedError
  if (typeof e.responseCode === 'number' && e.responseCode >= 400) return true;
  if (['ECONNECTION', 'EDNS', 'ETLS', 'EAUTH', 'EENVELOPE'].includes(e.code ?? '')) return true;
  if (e.code === 'ESOCKET' && /\b(ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL|ENOTFOUND|EAI_AGAIN)\b/.test(e.message ?? '')) return true;
  if (NEVER_CONNECTED.has(e.code ?? '') || NEVER_CONNECTED.has(e.cause?.code ?? '')) return true;
  return e.code === 'ETIMEDOUT' && /^(Connection timeout|Greeting never received)/.test(e.message ?? '');
}

export interface Mailer {
  from: string;
  transport: Transporter;
  /** Sends one message inside the caller's window, or throws SendWindowClosedError having sent nothing. */
  send(message: SendMailOptions, window: SendWindow): Promise<void>;
  /** Messages waiting for a connection now (for tests and metrics). */
  waiting(): number;
  /** Checks that the SMTP server answers (for readiness). */
  verify(): Promise<true>;
  close(): void;
}

export function createMailer(config: MailConfig): Mailer {
  const maxConnections = config.maxConnections ?? DEFAULT_SMTP_CONNECTIONS;
  const timeouts = config.timeouts ?? SMTP_TIMEOUTS;
  const budgetMs = transactionBudgetMs(timeouts);
  // Pooled: a few connections kept open and reused (docs/benchmarks.md, "Tunings").
  const transport = nodemailer.createTransport(new SMTPPool({ url: config.smtpUrl, pool: true, maxConnections, ...timeouts }), { from: config.from });
  const places = new Places(maxConnections, budgetMs);

  async function send(message: SendMailOptions, window: SendWindow): Promise<void> {
    const late = () => Date.now() + budgetMs > window.deadlineMs;
    const release = await places.take(window, late);
    try {
      if (late()) throw new SendWindowClosedError(closedMessage(window, budgetMs));
      await transport.sendMail(message);
    } finally {
      release();
    }
  }

  return {
    from: config.from,
    transport,
    send,
    waiting: () => places.waiting(),
    verify: () => transport.verify(),
    close: () => transport.close(),
  };
}

const closedMessage = (window: SendWindow, budgetMs: number) =>
  `not sent: less than ${budgetMs} ms of the attempt were left when a connection was free (deadline ${new Date(window.deadlineMs).toISOString()})`;

/** One place per pooled connection, handed out first come, first served. */
class Places {
  private free: number;
  private readonly queue: (() => void)[] = [];

  constructor(
    size: number,
    private readonly budgetMs: number,
  ) {
    this.free = size;
  }

  waiting(): number {
    return this.queue.length;
  }

  /** Waits for a place; gives up (SendWindowClosedError) as soon as `late()`, or when the signal aborts. */
  async take(window: SendWindow, late: () => boolean): Promise<() => void> {
    let lastWaitCall: number | undefined;
    if (this.free > 0) {
      this.free -= 1;
    } else {
      let wake!: () => void;
      const turn = new Promise<void>((resolve) => (wake = resolve));
      this.queue.push(wake);
      try {
        for (;;) {
          if (late()) throw new SendWindowClosedError(closedMessage(window, this.budgetMs));
          if (window.signal?.aborted) throw window.signal.reason ?? new Error('cancelled while waiting for an SMTP connection');
          const tick = Math.min(SEND_WAIT_TICK_MS, Math.max(0, window.deadlineMs - this.budgetMs - Date.now()));
          let timer: NodeJS.Timeout | undefined;
          const ticked = await Promise.race([turn.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), tick)))]);
          clearTimeout(timer);
          if (!ticked) break;
          window.onWait?.();
          lastWaitCall = Date.now();
        }
      } catch (err) {
        const at = this.queue.indexOf(wake);
        if (at >= 0) this.queue.splice(at, 1);
        else this.release(); // handed a place in the same instant: pass it on
        throw err;
      }
    }
    const quiet = lastWaitCall === undefined ? 0 : lastWaitCall + (window.quietAfterWaitMs ?? 0) - Date.now();
    if (quiet > 0) await new Promise((r) => setTimeout(r, quiet));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release();
    };
  }

  private release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.free += 1;
  }
}
