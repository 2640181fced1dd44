/** The SMTP transport (nodemailer), one per process. */
import nodemailer, { type Transporter } from 'nodemailer';
import SMTPTransport from 'nodemailer/lib/smtp-transport';

export interface MailConfig {
  smtpUrl: string;
  from: string;
}

export interface Mailer {
  from: string;
  transport: Transporter;
  /** Checks that the SMTP server answers (for readiness). */
  verify(): Promise<true>;
  close(): void;
}

export function createMailer(config: MailConfig): Mailer {
  // Timeouts well inside the email activity's 30 s start-to-close timeout, so a
  // stalled SMTP server fails this attempt before Temporal starts the next one.
  const transport = nodemailer.createTransport(
    new SMTPTransport({ url: config.smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 }),
    { from: config.from },
  );
  return {
    from: config.from,
    transport,
    verify: () => transport.verify(),
    close: () => transport.close(),
  };
}
