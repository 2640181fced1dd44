/**
 * The one in-process SMTP receiver of the tests, the drills and the benchmarks: a
 * real SMTP server on loopback, so every mail the project sends crosses a TCP
 * connection and is read back. (`make up` runs MailDev instead: stack/services.ts.)
 *
 * - `parse: 'full'` (default) parses each mail with mailparser: subject, text,
 *   html and every header, what tests and drills check. `'headers'` reads a
 *   mail only up to the end of its header: the benchmarks receive tens of
 *   thousands and measure the sender, not the parser.
 * - A slow relay: `answerDelayMs(n)` delays the 250 of the n-th message (from 0)
 *   after its final dot. A client that hangs up meanwhile was never answered:
 *   that message is not accepted (RFC 5321: the server takes responsibility with
 *   its 250) and lands in `unanswered`, not in `messages`; unless the relay is one
 *   that delivers it anyway (`deliversAfterHangUp`, RFC 1047's duplicate: what an
 *   uncertain send must survive).
 *
 * The drills' MailCounter (drills/stack.ts) and the benchmarks' counter
 * (bench/smtp-counter.ts) are views on this receiver.
 */
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

export interface ReceivedMail {
  messageId: string;
  /** The envelope's recipients, as sent. */
  to: string[];
  subject: string;
  /** Empty with `parse: 'headers'`. */
  text: string;
  html: string;
  /** Header values by lower-case name (mailparser's, or the raw text of each with `parse: 'headers'`). */
  headers: Map<string, unknown>;
  /** X-XS-Outbox-Key: the outbox entry the mail was sent for (activities/email.ts), or ''. */
  outboxKey: string;
  bytes: number;
  /** Date.now() when its final dot arrived, and when it was answered 250. */
  receivedAt: number;
  acceptedAt: number;
}

export interface SmtpReceiverOptions {
  parse?: 'full' | 'headers';
  /** A slow relay: how long to wait after the final dot of the n-th message (from 0) before answering it. */
  answerDelayMs?: (n: number) => number;
  /** A message whose client hung up before the delayed answer is delivered all the same (default: unanswered). */
  deliversAfterHangUp?: boolean;
  /** false: accepted mails are passed to `onAccepted` only, not kept in `messages` (a benchmark's 10,000s). */
  keep?: boolean;
  onAccepted?: (mail: ReceivedMail) => void;
}

export interface SmtpReceiver {
  url: string;
  /** Accepted (answered 250), in order. */
  readonly messages: ReceivedMail[];
  /** Received in full, but the client hung up before the delayed answer: never accepted. */
  readonly unanswered: ReceivedMail[];
  /** Messages received and not yet answered, now. */
  inProgress(): number;
  /** Sessions whose client vanished (a killed worker) before the message was read in full. */
  aborted(): number;
  /** Changes the slow relay's delay from now on (drills slow it down mid-run). */
  setAnswerDelay(delay: ((n: number) => number) | undefined): void;
  /** Resolves with `messages` once `count` mails were accepted. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** The raw header of a mail, unfolded, by lower-case name (the last value of a repeated one). */
function rawHeaders(header: string): Map<string, unknown> {
  const map = new Map<string, unknown>();
  for (const line of header.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) map.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return map;
}

type Read = Omit<ReceivedMail, 'to' | 'receivedAt' | 'acceptedAt'>;

async function readFull(stream: NodeJS.ReadableStream): Promise<Read> {
  let bytes = 0;
  stream.on('data', (chunk: Buffer) => void (bytes += chunk.length));
  const mail = await simpleParser(stream as never);
  const key = mail.headers.get('x-xs-outbox-key');
  return {
    messageId: mail.messageId ?? '',
    subject: mail.subject ?? '',
    text: mail.text ?? '',
    html: typeof mail.html === 'string' ? mail.html : '',
    headers: mail.headers,
    outboxKey: typeof key === 'string' ? key : '',
    bytes,
  };
}

function readHeaders(stream: NodeJS.ReadableStream): Promise<Read> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let header: string | null = null;
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (header !== null) return;
      chunks.push(chunk);
      const buf = Buffer.concat(chunks);
      const end = buf.indexOf(HEADER_END);
      if (end >= 0) header = buf.subarray(0, end).toString('latin1');
    });
    stream.on('end', () => {
      const headers = rawHeaders(header ?? Buffer.concat(chunks).toString('latin1'));
      const text = (name: string) => (headers.get(name) as string | undefined) ?? '';
      resolve({ messageId: text('message-id'), subject: text('subject'), text: '', html: '', headers, outboxKey: text('x-xs-outbox-key'), bytes });
    });
    stream.on('error', reject);
  });
}

export async function startSmtpReceiver(options: SmtpReceiverOptions = {}): Promise<SmtpReceiver> {
  const messages: ReceivedMail[] = [];
  const unanswered: ReceivedMail[] = [];
  const closedSessions = new Set<string>();
  let answerDelayMs = options.answerDelayMs;
  let received = 0;
  let inProgress = 0;
  let aborted = 0;
  const read = options.parse === 'headers' ? readHeaders : readFull;

  async function take(stream: NodeJS.ReadableStream, session: SMTPServerSession): Promise<void> {
    const mail = await read(stream);
    const receivedAt = Date.now();
    const delay = answerDelayMs?.(received++) ?? 0;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const got: ReceivedMail = { ...mail, to: session.envelope.rcptTo.map((r) => r.address), receivedAt, acceptedAt: Date.now() };
    // A delayed answer reaches nobody who hung up meanwhile.
    if (delay > 0 && closedSessions.has(session.id) && !options.deliversAfterHangUp) {
      unanswered.push(got);
      return;
    }
    if (options.keep !== false) messages.push(got);
    options.onAccepted?.(got);
  }

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    // smtp-server looks up every client in DNS by default; on a machine without a resolver that answers,
    // that wait would be what a benchmark measures.
    disableReverseLookup: true,
    onClose: (session) => void closedSessions.add(session.id),
    onData(stream, session, callback) {
      inProgress += 1;
      take(stream, session).then(
        () => {
          inProgress -= 1;
          callback();
        },
        (err: Error) => {
          inProgress -= 1;
          aborted += 1;
          callback(err);
        },
      );
    },
  });
  server.on('error', () => undefined); // a client killed mid-session resets its socket
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    unanswered,
    inProgress: () => inProgress,
    aborted: () => aborted,
    setAnswerDelay(delay) {
      answerDelayMs = delay;
    },
    async waitFor(count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} mails, received ${messages.length}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return messages;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
