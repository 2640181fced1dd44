/**
 * /readyz's checks, made cheap enough to be called by anyone: the answer is
 * reused for `maxAgeMs` (a flood costs the dependencies one check per
 * period), concurrent calls share the check under way, and SMTP is checked by
 * its greeting alone (TCP connect, "220", QUIT: no login, so the real mail
 * account is never throttled for it).
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export type Probe = () => Promise<unknown>;

export interface Readiness {
  ok: boolean;
  checks: Record<string, 'ok' | 'unreachable'>;
}

export interface ReadinessOptions {
  /** How long an answer is reused (default 5 s). */
  maxAgeMs?: number;
  /** Per probe (default 3 s). */
  timeoutMs?: number;
  now?: () => number;
}

export function cachedReadiness(probes: Record<string, Probe>, options: ReadinessOptions = {}): () => Promise<Readiness> {
  const maxAgeMs = options.maxAgeMs ?? 5000;
  const timeoutMs = options.timeoutMs ?? 3000;
  const now = options.now ?? Date.now;
  let last: { at: number; answer: Readiness } | undefined;
  let running: Promise<Readiness> | undefined;

  const run = async (): Promise<Readiness> => {
    const checks = await Promise.all(
      Object.entries(probes).map(async ([name, probe]) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([probe(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), timeoutMs)))]);
          return [name, 'ok'] as const;
        } catch {
          return [name, 'unreachable'] as const;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    return { ok: checks.every(([, s]) => s === 'ok'), checks: Object.fromEntries(checks) };
  };

  return () => {
    if (last && now() - last.at < maxAgeMs) return Promise.resolve(last.answer);
    running ??= run()
      .then((answer) => {
        last = { at: now(), answer };
        return answer;
      })
      .finally(() => (running = undefined));
    return running;
  };
}

/**
 * Whether an SMTP server answers: connects (TLS for smtps://), waits for its
 * 220 greeting and says QUIT. Sends no credentials.
 */
export function smtpGreeting(smtpUrl: string, timeoutMs = 3000): Promise<void> {
  const url = new URL(smtpUrl);
  const secure = url.protocol === 'smtps:';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (secure ? 465 : 25));
  return new Promise((resolve, reject) => {
    const socket: Socket = secure ? tlsConnect({ host, port, servername: host }) : tcpConnect({ host, port });
    let heard = '';
    const done = (err?: Error) => {
      socket.removeAllListeners('data');
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    socket.setTimeout(timeoutMs, () => done(new Error('SMTP greeting timed out')));
    socket.on('error', done);
    socket.on('data', (chunk: Buffer) => {
      heard += chunk.toString('latin1');
      const line = /^(\d{3})[ \r\n]/m.exec(heard);
      if (!line) return;
      if (line[1] !== '220') return done(new Error(`SMTP greeting ${line[1]}`));
      socket.end('QUIT\r\n');
      socket.removeAllListeners('data');
      socket.once('close', () => resolve());
      setTimeout(() => done(), 500).unref(); // no need to wait for the 221
    });
  });
}
