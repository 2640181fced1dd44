/**
 * The public probes withstand a flood: /readyz checks its dependencies at
 * most once per cache period (concurrent calls share one check), checks SMTP
 * by its greeting alone (no EHLO, no AUTH: the mail account is never logged
 * into), and is rate limited per address; /metrics needs a key.
 *
 * The SMTP server here is a plain TCP server that greets, counts connections
 * and records every line it is sent.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { smtpGreeting } from '../../api/readiness';
import { startApiHarness, startApp, type ApiHarness } from '../support/api-harness';

interface CountingSmtp {
  url: string;
  connections: number;
  lines: string[];
  close(): Promise<void>;
}

async function countingSmtp(): Promise<CountingSmtp> {
  const sockets = new Set<Socket>();
  const state = { connections: 0, lines: [] as string[] };
  const server: Server = createServer((socket) => {
    state.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.write('220 probe.test ESMTP\r\n');
    socket.on('data', (chunk) => {
      for (const line of chunk.toString().split('\r\n').filter(Boolean)) {
        state.lines.push(line);
        if (/^QUIT/i.test(line)) socket.end('221 bye\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    // With credentials in the URL, as production has them: the probe must not use them.
    url: `smtp://mailer:secret-password@127.0.0.1:${(server.address() as AddressInfo).port}`,
    get connections() {
      return state.connections;
    },
    lines: state.lines,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

let h: ApiHarness;
let smtp: CountingSmtp;
beforeAll(async () => {
  [h, smtp] = await Promise.all([startApiHarness(), countingSmtp()]);
});
afterAll(async () => {
  await smtp?.close();
  await h?.close();
});

const NONE = { authorization: '' };

test('a flood of /readyz opens one SMTP connection per cache period, greets only, and logs in nowhere', async () => {
  const app = await startApp({
    db: h.db,
    client: h.client,
    taskQueue: h.taskQueue,
    readinessMaxAgeMs: 1500,
    readiness: { mongodb: () => h.db.connection.db!.admin().ping(), smtp: () => smtpGreeting(smtp.url) },
  });
  try {
    const flood = async () => {
      const answers = await Promise.all(Array.from({ length: 200 }, () => app.api('GET', '/readyz', undefined, NONE)));
      for (const a of answers) expect([a.status, a.body]).toEqual([200, { status: 'ready', checks: { mongodb: 'ok', smtp: 'ok' } }]);
    };
    // At most one check per period the flood spans (a loaded machine may stretch it over more than one).
    const periodsOf = async (run: () => Promise<void>) => {
      const started = Date.now();
      await run();
      return Math.floor((Date.now() - started) / 1500) + 1;
    };
    const periods = await periodsOf(async () => {
      await flood();
      await flood();
    });
    expect(smtp.connections).toBeGreaterThanOrEqual(1);
    expect(smtp.connections).toBeLessThanOrEqual(periods);
    const first = smtp.connections;
    await new Promise((r) => setTimeout(r, 1600)); // the answer is stale now: the next flood checks again
    const more = await periodsOf(flood);
    expect(smtp.connections).toBeGreaterThanOrEqual(first + 1);
    expect(smtp.connections).toBeLessThanOrEqual(first + more);
    expect(smtp.lines.every((line) => line === 'QUIT')).toBe(true); // no EHLO, no AUTH
  } finally {
    await app.close();
  }
});

test('/readyz is rate limited per address; a dependency down is a 503 naming it', async () => {
  const down = await countingSmtp();
  await down.close(); // nothing listens on its port now
  const app = await startApp({
    db: h.db,
    client: h.client,
    taskQueue: h.taskQueue,
    rateLimitPerMinute: 10,
    readiness: { smtp: () => smtpGreeting(down.url, 500) },
  });
  try {
    const answers = [];
    // fetch: /readyz's 503 is its own JSON answer, not a problem document.
    for (let i = 0; i < 15; i++) {
      const res = await fetch(`${app.baseUrl}/readyz`);
      answers.push({ status: res.status, headers: res.headers, body: await res.json() });
    }
    expect(answers.slice(0, 10).map((a) => a.status)).toEqual(Array(10).fill(503));
    expect(answers[0]!.body).toEqual({ status: 'not-ready', checks: { smtp: 'unreachable' } });
    const limited = answers.slice(10);
    for (const a of limited) {
      expect(a.status).toBe(429);
      expect(Number(a.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // The liveness probe answers from memory and is never limited.
    expect((await app.api('GET', '/healthz', undefined, NONE)).status).toBe(200);
  } finally {
    await app.close();
  }
});

test('/metrics without a key is 401 and shows nothing', async () => {
  await h.api('GET', '/v1/digests');
  const res = await fetch(`${h.baseUrl}/metrics`);
  expect(res.status).toBe(401);
  const text = await res.text();
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(text).not.toMatch(/xs_api|local-backoffice|caller|process_/);
});
