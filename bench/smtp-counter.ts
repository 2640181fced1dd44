/**
 * The benchmarks' view of the one SMTP receiver (stack/smtp-receiver.ts): it
 * reads each mail's header only (Message-ID, the outbox key the project sets in
 * X-XS-Outbox-Key), keeps none and counts, so that receiving costs as little as
 * possible next to sending 10,000s of mails.
 */
import { performance } from 'node:perf_hooks';
import { startSmtpReceiver, type ReceivedMail } from '../stack/smtp-receiver';

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

  const record = ({ messageId, outboxKey: key, bytes }: ReceivedMail) => {
    const at = performance.now();
    s.count += 1;
    s.bytes += bytes;
    s.firstAt ??= at;
    s.lastAt = at;
    if (!messageId) s.withoutMessageId += 1;
    else {
      const seen = ids.get(messageId) ?? 0;
      if (seen > 0) s.duplicates += 1;
      else s.uniqueMessageIds += 1;
      ids.set(messageId, seen + 1);
    }
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

  const receiver = await startSmtpReceiver({ parse: 'headers', keep: false, onAccepted: record });

  const counter: SmtpCounter = {
    url: receiver.url,
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
    close: () => receiver.close(),
  };
  reset();
  return counter;
}
