/**
 * The local stack a fault drill runs on, started by the drill itself on free
 * loopback ports with a throw-away folder under os.tmpdir(): the Temporal CLI
 * dev server with file persistence, FerretDB, an SMTP receiver in the drill
 * process that counts what it accepts, the worker (dist/workers/main.js) and
 * the API (dist/api/main.js) as separate OS processes, so that each server
 * can be killed (SIGKILL), frozen (SIGSTOP) and started again on its data.
 */
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { dataConverter } from '../codec/data-converter';
import { parsePayloadKeys } from '../config/payload-keys';
import { freePort, httpOk, type ManagedProcess } from '../stack/processes';
import { startSmtpReceiver, type ReceivedMail, type SmtpReceiver } from '../stack/smtp-receiver';
import { startFerretDb, startNodeService, startTemporalServer } from '../stack/services';
import { copyDataset, type Dataset } from '../seed/dataset';
import { setCurrentVersion } from '../workers/deployment';
import { WORKER_DRAINED_LINE } from '../workers/shutdown';
import { WORKER_READY_LINE } from '../workers/worker';

/** The repository root, whether this file runs compiled (dist/drills) or from source (drills/). */
export const ROOT = __dirname.split(sep).includes('dist') ? join(__dirname, '..', '..') : join(__dirname, '..');

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const t0 = Date.now();
let sayTo: (line: string) => void = (line) => console.log(line);
/** Where the drill's story goes (stdout unless set): `make test` keeps it in the test file's log. */
export function tellTo(sink: (line: string) => void): void {
  sayTo = sink;
}
/** A line of the drill's own story, with seconds since the drill process started. */
export function say(line: string): void {
  sayTo(`[drill +${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${line}`);
}

// ---- The SMTP receiver -------------------------------------------------------------

export interface Mail {
  messageId: string;
  to: string;
  subject: string;
  text: string;
  outboxKey: string;
  acceptedAt: number;
  /** When its final dot arrived (the receiver answers `answerDelayMs` later). */
  receivedAt: number;
}

/**
 * The drills' view of the one SMTP receiver (stack/smtp-receiver.ts): every accepted message once per
 * recipient, announced as it comes (`mail` events) so a case can wait for its own.
 */
export class MailCounter extends EventEmitter {
  readonly messages: Mail[] = [];
  url = '';
  private receiver?: SmtpReceiver;
  private fixedDelayMs = 0;
  private perMessageDelay?: (n: number) => number;
  constructor() {
    super();
    this.setMaxListeners(0); // one listener per case waiting for its mail
  }

  /** SMTP sessions whose client vanished (a killed worker) before the message was accepted. */
  get aborted(): number {
    return this.receiver?.aborted() ?? 0;
  }
  /** Messages received and not yet answered, now. */
  get inProgress(): number {
    return this.receiver?.inProgress() ?? 0;
  }
  /** A slow relay: each message is answered this long after it arrived (the worker-rolling drill). */
  get delayMs(): number {
    return this.fixedDelayMs;
  }
  set delayMs(ms: number) {
    this.fixedDelayMs = ms;
    this.applyDelay();
  }
  /**
   * A slow relay (the slow-smtp drill): how long to wait after the final dot of the `n`-th message
   * (from 0) before answering it. Default: at once.
   */
  get answerDelayMs(): ((n: number) => number) | undefined {
    return this.perMessageDelay;
  }
  set answerDelayMs(delay: ((n: number) => number) | undefined) {
    this.perMessageDelay = delay;
    this.applyDelay();
  }
  /**
   * Messages received in full whose client hung up before the delayed answer (it timed out): never
   * answered 250, so not accepted and not in `messages` (RFC 5321: the server takes responsibility
   * with its 250). A relay that delivered them anyway would hold a second copy (RFC 1047).
   */
  get unanswered(): Mail[] {
    return (this.receiver?.unanswered ?? []).flatMap(perRecipient);
  }

  async start(): Promise<void> {
    this.receiver = await startSmtpReceiver({
      keep: false,
      onAccepted: (received) => {
        for (const mail of perRecipient(received)) {
          this.messages.push(mail);
          this.emit('mail', mail);
        }
      },
    });
    this.applyDelay();
    this.url = this.receiver.url;
  }

  private applyDelay(): void {
    const fixed = this.fixedDelayMs;
    this.receiver?.setAnswerDelay(this.perMessageDelay ?? (fixed > 0 ? () => fixed : undefined));
  }

  /** The first mail that matches, waiting for it up to `timeoutMs`. */
  waitFor(match: (m: Mail) => boolean, timeoutMs: number): Promise<Mail | undefined> {
    const found = this.messages.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const onMail = (m: Mail) => {
        if (!match(m)) return;
        clearTimeout(timer);
        this.off('mail', onMail);
        resolve(m);
      };
      const timer = setTimeout(() => {
        this.off('mail', onMail);
        resolve(undefined);
      }, timeoutMs);
      this.on('mail', onMail);
    });
  }

  /** Groups of more than one message with the same Message-ID, and with the same recipient and subject. */
  duplicates(): { byMessageId: Mail[][]; byRecipientSubject: Mail[][] } {
    const group = (key: (m: Mail) => string) => {
      const groups = new Map<string, Mail[]>();
      for (const m of this.messages) groups.set(key(m), [...(groups.get(key(m)) ?? []), m]);
      return [...groups.values()].filter((g) => g.length > 1);
    };
    return { byMessageId: group((m) => `${m.messageId}|${m.to}`), byRecipientSubject: group((m) => `${m.to}|${m.subject}`) };
  }

  close(): Promise<void> {
    return this.receiver?.close() ?? Promise.resolve();
  }
}

/** One Mail per envelope recipient, its address lower-cased. */
function perRecipient(m: ReceivedMail): Mail[] {
  const { messageId, subject, text, outboxKey, acceptedAt, receivedAt } = m;
  return m.to.map((to) => ({ messageId, to: to.toLowerCase(), subject, text, outboxKey, acceptedAt, receivedAt }));
}

// ---- The stack ---------------------------------------------------------------------

/** The API keys the drill configures (`API_KEYS`: name:role:secret) and sends as `Authorization: Bearer <secret>`. */
export const DRILL_KEYS = {
  backoffice: 'drill-backoffice:backoffice:drill-bo-9f4c2a71e3d8465b',
  /** Another back-office client: the API drill's misbehaving one. */
  otherBackoffice: 'drill-other:backoffice:drill-other-0d6b93e7a54c21f8',
  customerService: 'drill-cs:customer-service:drill-cs-51b7e0c29a4f4d13',
  system: 'drill-system:system:drill-sys-c8e2f6a1d0b94f77',
};
/** The deployment version the drill's worker polls as (the compose default deployment name, a build of the drill's own). */
const DRILL_BUILD = { deploymentName: 'xs-backoffice', buildId: 'drill' };

export const bearer = (key: string): string => `Bearer ${key.split(':')[2]}`;

export interface StackOptions {
  /** Name of the drill, used for the throw-away folder. */
  name: string;
  /** `API_RATE_LIMIT_PER_MINUTE` for the API (per client key); high by default so the workload is never limited. */
  apiRateLimitPerMinute?: number;
  /** Keep the folder (logs, databases) after the drill; default: removed when the drill passed. */
  keep?: boolean;
  /** The SMTP receiver answers each message this late (a slow relay: mail waits in the worker's pool). */
  smtpDelayMs?: number;
  /** The worker's SMTP pool (SMTP_MAX_CONNECTIONS; default 5): smaller, mail queues in the worker. */
  smtpMaxConnections?: number;
  /** Start on a copy of this seeded data set (seed/dataset.ts); default: the one `useDataset` chose, or empty stores. */
  dataset?: Dataset;
  /** Encrypt with the data set's own key only (drills/awake.ts: the histories it keeps must decode in later runs). */
  datasetKeyOnly?: boolean;
}

let runDataset: { dataset: Dataset; settleMs: number } | undefined;
/**
 * The data set every stack of this run starts on (`npm run drill -- --data <size>`); undefined: empty
 * stores. `settleMinutes`: how long after its own cases a drill waits for the data set's cases to have
 * woken and mailed (drills/dataset-check.ts).
 */
export function useDataset(dataset: Dataset | undefined, settleMinutes = 20): void {
  runDataset = dataset && { dataset, settleMs: settleMinutes * 60_000 };
}

/** Stacks started and not yet stopped, so that an interrupted drill (Ctrl-C) stops its processes. */
export const activeStacks = new Set<DrillStack>();

export class DrillStack {
  readonly dir: string;
  readonly mail = new MailCounter();
  ports = { temporal: 0, mongo: 0, api: 0 };
  temporalServer?: ManagedProcess;
  ferretdb?: ManagedProcess;
  worker?: ManagedProcess;
  api?: ManagedProcess;
  private connection?: Connection;
  client!: Client;
  readonly events: string[] = [];
  workerStarts = 0;
  /** Exits nobody asked for (the drill restarts the process, as a supervisor would, and reports it). */
  readonly unexpectedExits: string[] = [];
  /** Every SIGKILL the drill sent: which process, and when (ms, just before the signal). */
  readonly kills: { which: string; at: number }[] = [];
  private readonly intended = new Set<ManagedProcess>();
  private stopping = false;

  /** The seeded data set this stack starts on (a copy of it), if any. */
  readonly dataset?: Dataset;
  /**
   * When this stack started: everything the drill creates comes later, the data set's records and
   * workflows earlier. The drills count their own cases by it (`ownRecords`, `ownWorkflowsQuery`).
   */
  startedAt = new Date();

  constructor(readonly options: StackOptions) {
    this.dir = mkdtempSync(join(tmpdir(), `xs-drill-${options.name}-`));
    this.mail.delayMs = options.smtpDelayMs ?? 0;
    this.dataset = options.dataset ?? runDataset?.dataset;
  }
  /** How long a drill waits for the data set's cases after its own (DatasetCheck.settle). */
  readonly datasetSettleMs = runDataset?.settleMs ?? 20 * 60_000;

  /** The workflows names its drill's own: started after the stack (not the data set's, started when it was built). */
  get ownWorkflowsQuery(): string {
    return `StartTime >= "${this.startedAt.toISOString()}"`;
  }
  /** A filter for the drill's own records: created after the stack started (the data set's are older). */
  get ownRecords(): { createdAt: { $gte: Date } } {
    return { createdAt: { $gte: this.startedAt } };
  }
  get namespace(): string {
    return this.dataset?.namespace ?? 'default';
  }
  get taskQueue(): string {
    return this.dataset?.taskQueue ?? 'xs-backoffice';
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.ports.api}`;
  }
  get mongoUri(): string {
    return `mongodb://127.0.0.1:${this.ports.mongo}/${this.dataset?.database ?? 'xs-backoffice'}`;
  }
  private log(name: string): string {
    return join(this.dir, 'logs', `${name}.log`);
  }

  /**
   * A payload key of this stack's own (production refuses the local one); the drill's client encrypts with it too.
   * On a data set, its key follows (it decrypts the data set's histories, as after a key rotation).
   */
  private get payloadKeys(): string {
    if (this.options.datasetKeyOnly && this.dataset) return this.dataset.payloadKeys;
    return [this.ownPayloadKey, this.dataset?.payloadKeys].filter(Boolean).join(',');
  }
  private readonly ownPayloadKey = `drill:${randomBytes(32).toString('base64')}`;

  /** The account-link secret of this stack's own (production refuses the local one). */
  private readonly linkSecret = randomBytes(32).toString('base64');

  /** What the worker and the API read (config/index.ts), plus the API's keys and rate limit. */
  get env(): NodeJS.ProcessEnv {
    return {
      // A data set's histories are encrypted with the local development key, which production refuses: test
      // (NODE_ENV only changes what the configuration accepts, config/index.ts).
      NODE_ENV: this.dataset ? 'test' : 'production',
      LOG_LEVEL: 'warn',
      TEMPORAL_ADDRESS: `127.0.0.1:${this.ports.temporal}`,
      TEMPORAL_NAMESPACE: this.namespace,
      TEMPORAL_TASK_QUEUE: this.taskQueue,
      MONGODB_URI: this.mongoUri,
      SMTP_URL: this.mail.url,
      API_HOST: '127.0.0.1',
      API_PORT: String(this.ports.api),
      PUBLIC_BASE_URL: this.apiUrl,
      API_KEYS: Object.values(DRILL_KEYS).join(','),
      PAYLOAD_KEYS: this.payloadKeys,
      ACCOUNT_LINK_SECRET: this.linkSecret,
      // Production refuses the local human check; no drill asks for a password reset, so the provider is never called.
      HUMAN_CHECK_VERIFIER: 'siteverify',
      HUMAN_CHECK_VERIFY_URL: 'http://127.0.0.1:9/no-provider-in-drills',
      HUMAN_CHECK_SECRET: 'drill-human-check',
      API_RATE_LIMIT_PER_MINUTE: String(this.options.apiRateLimitPerMinute ?? 1_000_000),
      WORKER_METRICS_ADDRESS: 'off',
      ...(this.options.smtpMaxConnections ? { SMTP_MAX_CONNECTIONS: String(this.options.smtpMaxConnections) } : {}),
      WORKFLOW_BUNDLE_PATH: this.bundlePath,
      WORKER_BUILD_ID: DRILL_BUILD.buildId,
    };
  }

  async start(): Promise<void> {
    activeStacks.add(this);
    this.startedAt = new Date();
    this.ports = { temporal: await freePort(), mongo: await freePort(), api: await freePort() };
    await this.mail.start();
    say(`stack in ${this.dir} (Temporal 127.0.0.1:${this.ports.temporal}, FerretDB :${this.ports.mongo}, API :${this.ports.api}, SMTP ${this.mail.url})`);
    if (this.dataset) {
      // The servers start on a copy of the data set's files: its records, and its running cases waiting for a worker.
      const t = Date.now();
      copyDataset(this.dataset, this.dir);
      say(`on the ${this.dataset.size} data set (as of ${this.dataset.asOf}; copied in ${((Date.now() - t) / 1000).toFixed(1)} s): ${JSON.stringify(this.dataset.counts)}`);
    }
    await Promise.all([this.startTemporal(), this.startFerretDb(), this.buildBundle()]);
    this.connection = await Connection.connect({ address: `127.0.0.1:${this.ports.temporal}` });
    this.client = new Client({ connection: this.connection, namespace: this.namespace, dataConverter: dataConverter(parsePayloadKeys(this.payloadKeys, [])) });
    await this.startWorker();
    await this.startApi();
  }

  /** The workflow bundle, built once (dist/workers/bundle.js), so that a restarted worker skips webpack. */
  get bundlePath(): string {
    return join(this.dir, 'workflow-bundle.js');
  }
  private buildBundle(): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(ROOT, 'dist', 'workers', 'bundle.js'), this.bundlePath], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`building the workflow bundle failed (${code}): ${out}`))));
    });
  }

  async startTemporal(): Promise<void> {
    this.temporalServer = await startTemporalServer({
      port: this.ports.temporal,
      uiPort: 0,
      dbFile: join(this.dir, 'temporal.db'),
      namespace: this.namespace,
      logFile: this.log('temporal'),
    });
  }

  async startFerretDb(): Promise<void> {
    this.ferretdb = await startFerretDb({ port: this.ports.mongo, dataDir: join(this.dir, 'ferretdb'), logFile: this.log('ferretdb') });
  }

  async startWorker(): Promise<void> {
    const started = Date.now();
    this.worker = await startNodeService({
      name: 'worker',
      script: 'workers/main.js',
      env: this.env,
      logFile: this.log(this.workerStarts ? `worker-${this.workerStarts + 1}` : 'worker'),
      echo: false,
      ready: async (output) => output.includes(WORKER_READY_LINE),
    });
    // A versioned worker gets work once its build is current (workers/deployment.ts), as in a deploy.
    await setCurrentVersion(this.connection!, this.namespace, DRILL_BUILD);
    this.workerStarts += 1;
    this.note(`worker started (pid ${this.worker.child.pid}, ready in ${((Date.now() - started) / 1000).toFixed(1)}s)`);
    this.supervise(this.worker, () => this.startWorker());
  }

  /** A worker or API that exits on its own is noted and started again. */
  private supervise(p: ManagedProcess, restart: () => Promise<void>): void {
    void p.exited.then(async (code) => {
      if (this.intended.has(p) || this.stopping) return;
      const line = `${p.name} (pid ${p.child.pid}) exited on its own with code ${code}; see ${p.logFile}`;
      this.unexpectedExits.push(line);
      this.note(`${line}: starting it again`);
      for (let attempt = 1; !this.stopping; attempt++) {
        try {
          await restart();
          return;
        } catch (err) {
          this.note(`${p.name} did not start again (attempt ${attempt}): ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
          await sleep(2000);
        }
      }
    });
  }

  async startApi(): Promise<void> {
    this.api = await startNodeService({
      name: 'api',
      script: 'api/main.js',
      env: this.env,
      logFile: this.log('api'),
      echo: false,
      ready: () => httpOk(`${this.apiUrl}/healthz`),
    });
    this.supervise(this.api, () => this.startApi());
  }

  /** SIGKILL: no shutdown, in-flight activities and workflow tasks are simply gone. */
  async kill(which: 'worker' | 'temporalServer' | 'ferretdb' | 'api'): Promise<void> {
    const p = this[which];
    if (!p) return;
    const pid = p.child.pid;
    this.intended.add(p);
    this.kills.push({ which, at: Date.now() });
    await p.stop('SIGKILL');
    this.note(`${p.name} SIGKILLed (pid ${pid})`);
  }

  /**
   * A rolling deploy's step: a new worker is started and polls, then the old one gets SIGTERM and
   * drains (workers/shutdown.ts). Resolves once the old one exited, with what it did.
   */
  async replaceWorker(): Promise<{ oldPid?: number; newPid?: number; sigtermAt: number; drainSeconds: number; exitCode: number | null; drained: boolean; mailInProgressAtSigterm: number }> {
    const old = this.worker!;
    this.intended.add(old);
    await this.startWorker();
    const mailInProgressAtSigterm = this.mail.inProgress;
    const sent = Date.now();
    old.child.kill('SIGTERM');
    this.note(`old worker (pid ${old.child.pid}) sent SIGTERM; new worker pid ${this.worker!.child.pid} polls`);
    const exitCode = await old.exited;
    const drainSeconds = (Date.now() - sent) / 1000;
    const drained = readFileSync(old.logFile, 'utf8').includes(WORKER_DRAINED_LINE);
    this.note(`old worker (pid ${old.child.pid}) exited with code ${exitCode} after ${drainSeconds.toFixed(1)}s${drained ? ', drained' : ', WITHOUT its drained line'}`);
    return { oldPid: old.child.pid, newPid: this.worker!.child.pid, sigtermAt: sent, drainSeconds, exitCode, drained, mailInProgressAtSigterm };
  }

  /** SIGSTOP / SIGCONT: the process keeps its sockets open but answers nothing. */
  freeze(which: 'ferretdb' | 'worker' | 'temporalServer', frozen: boolean): void {
    const p = this[which]!;
    p.child.kill(frozen ? 'SIGSTOP' : 'SIGCONT');
    this.note(`${p.name} ${frozen ? 'SIGSTOPped' : 'SIGCONTinued'} (pid ${p.child.pid})`);
  }

  note(event: string): void {
    this.events.push(event);
    say(event);
  }

  /** Stops everything; removes the folder unless asked to keep it (or `keep` is set). */
  async stop(keep = this.options.keep ?? false): Promise<void> {
    this.stopping = true;
    activeStacks.delete(this);
    for (const p of [this.api, this.worker]) await p?.stop('SIGTERM').catch(() => undefined);
    await this.connection?.close().catch(() => undefined);
    for (const p of [this.ferretdb, this.temporalServer]) {
      if (p) {
        p.child.kill('SIGCONT'); // a frozen process cannot handle SIGTERM
        await p.stop('SIGTERM').catch(() => undefined);
      }
    }
    await this.mail.close().catch(() => undefined);
    if (keep) say(`kept the drill's folder: ${this.dir} (logs in ${join(this.dir, 'logs')})`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}

// ---- Calling the API ---------------------------------------------------------------

export interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of the API
  ms: number;
}

/** One HTTP call; a network error or timeout answers status 0. */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { authorization: bearer(DRILL_KEYS.backoffice) },
  timeoutMs = 20_000,
): Promise<Answer> {
  const started = performance.now();
  try {
    const res = await fetch(baseUrl + path, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed, ms: performance.now() - started };
  } catch (err) {
    return { status: 0, body: { error: err instanceof Error ? err.message : String(err) }, ms: performance.now() - started };
  }
}

/** Percentile (0-100) of a list of numbers. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** The result every drill returns: what it did, what it counted, and what went wrong (empty: passed). */
export interface DrillResult {
  drill: string;
  passed: boolean;
  figures: Record<string, unknown>;
  problems: string[];
}

/**
 * The workflow IDs among `ids` that have no workflow: each asked by describe (the visibility store
 * lags, so a list would call a just-started workflow missing). The drills' orphan check.
 */
export async function missingWorkflows(client: Client, ids: Iterable<string>): Promise<string[]> {
  const missing: string[] = [];
  for (const id of ids) {
    try {
      await client.workflow.getHandle(id).describe();
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      missing.push(id);
    }
  }
  return missing;
}
