/** The SMTP transport (nodemailer), one per process. */
import nodemailer, { type Transporter } from 'nodemailer';
import SMTPPool from 'nodemailer/lib/smtp-pool';

export interface MailConfig {
  smtpUrl: string;
  from: string;
  /** SMTP connections kept open and reused (SMTP_MAX_CONNECTIONS; default 5). */
  maxConnections?: number;
}

/** A new connection per mail costs a TCP and SMTP handshake, and many relays pause before their greeting. */
export const DEFAULT_SMTP_CONNECTIONS = 5;

export interface Mailer {
  from: string;
  transport: Transporter;
  /** Checks that the SMTP server answers (for readiness). */
  verify(): Promise<true>;
  close(): void;
}

export function createMailer(config: MailConfig): Mailer {
  // Pooled: a few connections kept open and reused (docs/benchmarks.md, "Tunings"). Timeouts well
  // inside the email activity's 30 s start-to-close timeout, so a stalled SMTP server fails this
  // attempt before Temporal starts the next one.
  const transport = nodemailer.createTransport(
    new SMTPPool({
      url: config.smtpUrl,
      pool: true,
      maxConnections: config.maxConnections ?? DEFAULT_SMTP_CONNECTIONS,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    }),
    { from: config.from },
  );
  return {
    from: config.from,
    transport,
    verify: () => transport.verify(),
    close: () => transport.close(),
  };
}
