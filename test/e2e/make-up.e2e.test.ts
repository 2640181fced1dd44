/**
 * The system as `make up` starts it (dist/stack/up.js): real Temporal dev
 * server with its UI, FerretDB, MailDev, the worker and the API, on free
 * ports with a throw-away data folder. A company registers and is approved
 * over HTTP; the approval mail is read back from MailDev's API; the workflow
 * is found by a search-attribute query; Ctrl-C stops everything; a second
 * start finds the first one's data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { LOCAL_API_KEYS } from '../../config/api-keys';
import { LOCAL_PAYLOAD_KEYS_ENTRY, parsePayloadKeys } from '../../config/payload-keys';
import { dataConverter } from '../../codec/data-converter';
import { freePort, tcpOpen } from '../../stack/processes';

const localCodec = dataConverter(parsePayloadKeys(LOCAL_PAYLOAD_KEYS_ENTRY, []));

jest.setTimeout(600_000);

const ROOT = join(__dirname, '..', '..');
const dataDir = mkdtempSync(join(tmpdir(), 'xs-e2e-'));
let ports: Record<'TEMPORAL_PORT' | 'TEMPORAL_UI_PORT' | 'MONGO_PORT' | 'SMTP_PORT' | 'MAIL_UI_PORT' | 'API_PORT' | 'WORKER_METRICS_PORT' | 'CODEC_PORT', number>;

interface Up {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

function startUp(): Promise<Up> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, XS_DATA_DIR: dataDir };
  for (const [k, v] of Object.entries(ports)) env[k] = String(v);
  if (process.env.XS_CACHE_DIR) env.XS_CACHE_DIR = process.env.XS_CACHE_DIR;
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'stack', 'up.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (out.includes('XS-Key back-office is up')) {
        clearInterval(timer);
        resolve({ child, output: () => out, exit });
      }
    }, 200);
    void exit.then((code) => {
      clearInterval(timer);
      reject(new Error(`make up exited with ${code} before it was up:\n${out}`));
    });
  });
}

async function stopUp(up: Up): Promise<void> {
  up.child.kill('SIGINT'); // what Ctrl-C sends
  expect(await up.exit).toBe(0);
  for (const port of Object.values(ports)) expect(await tcpOpen(port)).toBe(false);
}

const api = (path: string, init?: RequestInit) =>
  fetch(`http://127.0.0.1:${ports.API_PORT}${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${LOCAL_API_KEYS.backoffice}`, ...(init?.headers ?? {}) },
  });

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  ports = {
    TEMPORAL_PORT: await freePort(),
    TEMPORAL_UI_PORT: await freePort(),
    MONGO_PORT: await freePort(),
    SMTP_PORT: await freePort(),
    MAIL_UI_PORT: await freePort(),
    API_PORT: await freePort(),
    WORKER_METRICS_PORT: await freePort(),
    CODEC_PORT: await freePort(),
  };
});

test('register and approve over HTTP, mail in the inbox, case found by search attributes, data kept across restarts', async () => {
  let up = await startUp();
  let companyId = '';
  try {
    expect(up.output()).toContain(`http://127.0.0.1:${ports.TEMPORAL_UI_PORT}`);
    expect(up.output()).toContain(`http://127.0.0.1:${ports.MAIL_UI_PORT}`);
    // The worker polls as a deployment version, made current so workflows are dispatched to it (docs/operations.md).
    expect(up.output()).toMatch(/worker: polling .*deployment xs-backoffice build \S+\)/);
    expect(up.output()).toMatch(/deployment xs-backoffice: current version \S+/);
    expect((await fetch(`http://127.0.0.1:${ports.TEMPORAL_UI_PORT}/`)).status).toBe(200);
    expect((await api('/readyz')).status).toBe(200);
    expect(up.output()).toContain(`Authorization: Bearer ${LOCAL_API_KEYS.backoffice}`);
    expect((await api('/v1/digests', { headers: { authorization: '' } })).status).toBe(401);

    const registered = await api('/v1/companies', {
      method: 'POST',
      body: JSON.stringify({
        companyName: 'Maasvlakte Logistics B.V.',
        kvkNumber: '87654321',
        vatId: 'NL862211334B01',
        kvkExtract: { documentRef: 'kvk-2026-0042', issuedOn: new Date().toISOString().slice(0, 10) },
        signatory: { name: 'Eva Jansen', email: 'eva@maasvlakte.example', listedInKvkExtract: true },
        contact: { name: 'Joost Bakker', email: 'joost@maasvlakte.example', language: 'de' },
      }),
    });
    expect(registered.status).toBe(201);
    const company = (await registered.json()) as { companyId: string; customerNumber: string };
    companyId = company.companyId;

    const decided = await api(`/v1/companies/${companyId}/decision`, {
      method: 'POST',
      body: JSON.stringify({ outcome: 'approved', decidedBy: 'backoffice-7' }),
    });
    expect(decided.status).toBe(200);
    expect(await decided.json()).toMatchObject({ outcome: 'approved', customerNumber: company.customerNumber });

    const mails = await eventually(async () => {
      const res = await fetch(`http://127.0.0.1:${ports.MAIL_UI_PORT}/email`);
      const all = (await res.json()) as { to: { address: string }[]; subject: string; text: string }[];
      const mine = all.filter((m) => m.to.some((t) => t.address === 'joost@maasvlakte.example'));
      return mine.length ? mine : undefined;
    });
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toContain(company.customerNumber); // German template: "Kundennummer"
    expect(mails[0]!.subject).toContain('Kundennummer');

    const connection = await Connection.connect({ address: `127.0.0.1:${ports.TEMPORAL_PORT}` });
    try {
      // A client of this deployment has its payload keys (`make up`: the local one): every payload is encrypted,
      // the memo each case writes with its status too, and list() and describe() decode it.
      const client = new Client({ connection, dataConverter: localCodec });
      const found = await eventually(async () => {
        const ids: string[] = [];
        for await (const wf of client.workflow.list({ query: `CompanyId = '${companyId}' AND Phase = 'approved'` })) ids.push(wf.workflowId);
        return ids.length ? ids : undefined;
      });
      expect(found).toEqual([`contract:${companyId}`]);

      // The history holds the registration encrypted; the Web UI is pointed at the codec server, which
      // decrypts it for an operator's key only.
      const codec = `http://127.0.0.1:${ports.CODEC_PORT}`;
      const settings = (await (await fetch(`http://127.0.0.1:${ports.TEMPORAL_UI_PORT}/api/v1/settings`)).json()) as { Codec: { Endpoint: string } };
      expect(settings.Codec.Endpoint).toBe(codec);
      expect(up.output()).toContain(`Codec server        ${codec}`);
      const history = await client.workflow.getHandle(`contract:${companyId}`).fetchHistory();
      const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
      const asJson = { metadata: Object.fromEntries(Object.entries(input.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(input.data!).toString('base64') };
      expect(Buffer.from(input.metadata!.encoding!).toString()).toBe('binary/encrypted');
      expect(Buffer.from(input.data!).toString('latin1')).not.toContain('Maasvlakte');
      const decode = (authorization: string) =>
        fetch(`${codec}/decode`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify({ payloads: [asJson] }) });
      expect((await decode(`Bearer ${LOCAL_API_KEYS.system}`)).status).toBe(403);
      const decoded = (await (await decode(`Bearer ${LOCAL_API_KEYS['customer-service']}`)).json()) as { payloads: { data: string }[] };
      expect(Buffer.from(decoded.payloads[0]!.data, 'base64').toString()).toContain('"companyName":"Maasvlakte Logistics B.V."');
    } finally {
      await connection.close();
    }

    // Prometheus: the API's own, and the worker's (the SDK's metrics and the activities' email counter).
    expect((await api('/metrics', { headers: { authorization: '' } })).status).toBe(401); // it names the API keys
    const apiMetrics = await (await api('/metrics')).text(); // the back-office key
    expect(apiMetrics).toMatch(/xs_api_requests_total\{operation="registerCompany",method="POST",status="201",caller="local-backoffice"\} 1/);
    const workerMetrics = await (await fetch(`http://127.0.0.1:${ports.WORKER_METRICS_PORT}/metrics`)).text();
    expect(workerMetrics).toMatch(/temporal_workflow_completed_total\{[^}]*workflow_type="contractApproval"/);
    expect(workerMetrics).toMatch(/temporal_activity_execution_latency/);
    expect(workerMetrics).toMatch(/xs_emails_total\{[^}]*outcome="sent"/);
  } finally {
    await stopUp(up);
  }

  // A second start finds the records and the workflow history of the first.
  up = await startUp();
  try {
    const again = await api(`/v1/companies/${companyId}`);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ companyId, contract: { status: 'approved' } });
    const connection = await Connection.connect({ address: `127.0.0.1:${ports.TEMPORAL_PORT}` });
    try {
      const description = await new Client({ connection, dataConverter: localCodec }).workflow.getHandle(`contract:${companyId}`).describe();
      expect(description.status.name).toBe('COMPLETED');
    } finally {
      await connection.close();
    }
  } finally {
    await stopUp(up);
  }
});
