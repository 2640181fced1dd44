/** The SMTP transport (nodemailer), one per process. */
import nodemailer, { type Transporter } from 'nodemailer';

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
  const transport = nodemailer.createTransport(config.smtpUrl, { from: config.from });
  return {
    from: config.from,
    transport,
    verify: () => transport.verify(),
    close: () => transport.close(),
  };
}
