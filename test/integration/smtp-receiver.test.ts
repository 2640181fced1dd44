/**
 * The one SMTP receiver of the tests, drills and benchmarks (stack/smtp-receiver.ts), over a real
 * SMTP connection from nodemailer: what each parse mode reads, and what a slow relay does with a
 * message whose client hung up before its answer.
 */
import nodemailer from 'nodemailer';
import { startSmtpReceiver, type SmtpReceiver } from '../../stack/smtp-receiver';

const mail = {
  from: 'XS-Key Service <service@xs-key.example>',
  to: 'anna@haven.example',
  subject: 'Ihre Karte ist fertig',
  text: 'Hallo Anna',
  messageId: '<m-1@xs-key.example>',
  headers: { 'X-XS-Outbox-Key': 'card:ca_1|card-ready' },
};

const send = (receiver: SmtpReceiver, socketTimeout = 10_000) => {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: Number(new URL(receiver.url).port), secure: false, socketTimeout });
  return transport.sendMail(mail).finally(() => transport.close());
};

test.each(['full', 'headers'] as const)('parse %s: the envelope, Message-ID, subject and outbox key of an accepted mail', async (parse) => {
  const accepted: string[] = [];
  const receiver = await startSmtpReceiver({ parse, onAccepted: (m) => accepted.push(m.messageId) });
  try {
    await send(receiver);
    const [got] = await receiver.waitFor(1);
    expect(got).toMatchObject({ messageId: mail.messageId, to: [mail.to], subject: mail.subject, outboxKey: 'card:ca_1|card-ready' });
    expect(got!.text.trim()).toBe(parse === 'full' ? mail.text : '');
    expect(got!.bytes).toBeGreaterThan(mail.text.length);
    expect(accepted).toEqual([mail.messageId]);
  } finally {
    await receiver.close();
  }
});

test.each([
  ['a strict relay: never answered, so not accepted', false],
  ['a relay that delivers it anyway (the duplicate an uncertain send must survive)', true],
])('a message whose client hangs up before the delayed answer: %s', async (_name, deliversAfterHangUp) => {
  const receiver = await startSmtpReceiver({ answerDelayMs: () => 1_000, deliversAfterHangUp });
  try {
    await expect(send(receiver, 300)).rejects.toThrow(/timeout/i);
    await new Promise((r) => setTimeout(r, 1_200));
    expect({ accepted: receiver.messages.length, unanswered: receiver.unanswered.length, inProgress: receiver.inProgress() })
      .toEqual({ accepted: deliversAfterHangUp ? 1 : 0, unanswered: deliversAfterHangUp ? 0 : 1, inProgress: 0 });

    receiver.setAnswerDelay(undefined); // at once from now on
    await send(receiver);
    expect(receiver.messages.at(-1)?.messageId).toBe(mail.messageId);
  } finally {
    await receiver.close();
  }
});
