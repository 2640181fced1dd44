/**
 * A minimal SMTP receiver for the benchmarks: it accepts every mail, reads
 * only its header (Message-ID, the outbox key the project sets in
 * X-XS-Outbox-Key) and counts, so that receiving costs as little as possible
 * next to sending. test/support/smtp.ts parses every mail in full (fine for
 * tests, heavy for 10,000 mails), hence this one.
 */
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { SMTPServer } from 'smtp-server';

export interface ReceivedStats {
  count: number;
  uniqueMessageIds: number;
  /** Mails whose Message-ID arrived before (0 when nothing was mailed twice). */
  duplicates: number;
  withoutMessageId: number;
  /** performance.now() of the first and last arrival. */
  firstAt: number | null;
  lastAt: number | null;
  bytes: number;
}

export interface SmtpCounter {
  url: string;
  /** Forgets what was received (a new measurement starts). */
  reset(): void;
  stats(): ReceivedStats;
  /** Arrivals (performance.now()) by outbox key. */
  arrivals: Map<string, number>;
  /** How many mails arrived per X-XS-Outbox-Key since the last reset (more than 1: a duplicate). */
  received: Map<string, number>;
  /** Resolves with the arrival time of the mail with this outbox key. */
  waitForKey(key: string, timeoutMs?: number): Promise<number>;
  /** Resolves once `count` mails (since the last reset) arrived. */
  waitForCount(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const HEADER_END = Buffer.from('\r\n\r\n');

function headerValue(header: string, name: string): string | undefined {
  const unfolded = header.replace(/\r\n[ \t]+/g, ' ');
  const m = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(unfolded);
  return m?.[1]?.trim();
}

export async function startSmtpCounter(): Promise<SmtpCounter> {
  let ids = new Map<string, number>();
  let arrivals = new Map<string, number>();
  let received = new Map<string, number>();
  let s: ReceivedStats;
  const keyWaiters = new Map<string, Array<(at: number) => void>>();
  let countWaiters: Array<{ count: number; resolve: () => void }> = [];
  const reset = () => {
    ids = new Map();
    arrivals = new Map();
    counter.arrivals = arrivals;
    received = new Map();
    counter.received = received;
    s = { count: 0, uniqueMessageIds: 0, duplicates: 0, withoutMessageId: 0, firstAt: null, lastAt: null, bytes: 0 };
  };

  const record = (header: string, bytes: number) => {
    const at = performance.now();
    s.count += 1;
    s.bytes += bytes;
    s.firstAt ??= at;
    s.lastAt = at;
    const messageId = headerValue(header, 'Message-ID');
    if (!messageId) s.withoutMessageId += 1;
    else {
      const seen = ids.get(messageId) ?? 0;
      if (seen > 0) s.duplicates += 1;
      else s.uniqueMessageIds += 1;
      ids.set(messageId, seen + 1);
    }
    const key = headerValue(header, 'X-XS-Outbox-Key');
    if (key) {
      arrivals.set(key, at);
      received.set(key, (received.get(key) ?? 0) + 1);
      for (const wake of keyWaiters.get(key) ?? []) wake(at);
      keyWaiters.delete(key);
    }
    if (countWaiters.length) {
      const due = countWaiters.filter((w) => s.count >= w.count);
      countWaiters = countWaiters.filter((w) => s.count < w.count);
      for (const w of due) w.resolve();
    }
  };

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    banner: 'bench',
    // smtp-server looks up every client's address in DNS by default: on a machine without a
    // resolver that answers, that wait (not the mail) would be what the benchmark measures.
    disableReverseLookup: true,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      let headerBytes = 0;
      let header: string | null = null;
      let bytes = 0;
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (header !== null) return;
        chunks.push(chunk);
        headerBytes += chunk.length;
        const buf = Buffer.concat(chunks, headerBytes);
        const end = buf.indexOf(HEADER_END);
        if (end >= 0) header = buf.subarray(0, end).toString('latin1');
      });
      stream.on('end', () => {
        record(header ?? Buffer.concat(chunks).toString('latin1'), bytes);
        callback();
      });
      stream.on('error', callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;

  const counter: SmtpCounter = {
    url: `smtp://127.0.0.1:${port}`,
    arrivals,
    received,
    reset,
    stats: () => ({ ...s }),
    waitForKey(key, timeoutMs = 600_000) {
      const at = arrivals.get(key);
      if (at !== undefined) return Promise.resolve(at);
      return new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no mail with outbox key ${key} within ${timeoutMs / 1000}s`)), timeoutMs);
        const list = keyWaiters.get(key) ?? [];
        list.push((t) => {
          clearTimeout(timer);
          resolve(t);
        });
        keyWaiters.set(key, list);
      });
    },
    waitForCount(count, timeoutMs = 600_000) {
      if (s.count >= count) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`expected ${count} mails, received ${s.count} within ${timeoutMs / 1000}s`)), timeoutMs);
        countWaiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  reset();
  return counter;
}
