/**
 * The servers a benchmark run uses, started by the bench itself with the
 * project's stack/services.ts on free loopback ports with throw-away data
 * under os.tmpdir(): the Temporal CLI dev server (SQLite file, search
 * attributes), FerretDB, and the counting SMTP receiver; plus the benchmark
 * workers, each a process of its own (bench/worker-process.ts).
 *
 * With a data set (`--data realistic|small|tiny`, seed/dataset.ts) both servers
 * run on a copy of it: FerretDB on its data directory, the Temporal dev server
 * on its SQLite file (where its running cases wait, started but never run), and
 * the workers and clients use its payload keys; `stack.data` says where its
 * records and cases are (database, task queue).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { dataConverter, FAILURE_CONVERTER_PATH } from '../codec/data-converter';
import { parsePayloadKeys } from '../config/payload-keys';
import { connectDatabase, type Database } from '../db/connection';
import { copyDataset, type Dataset } from '../seed/dataset';
import { freePort, startProcess, type ManagedProcess } from '../stack/processes';
import { setCurrentVersion } from '../workers/deployment';
import { startFerretDb, startTemporalServer } from '../stack/services';
import { now, procMemory, rssSampler } from './measure';
import { startSmtpCounter, type SmtpCounter } from './smtp-counter';
import { WORKER_READY_PREFIX, type BenchWorkerConfig, type WorkerProcessStats, type WorkerReadyInfo, type WorkerVariant } from './worker-config';

export const BENCH_WORKFLOWS_PATH = require.resolve('./workflows');

export interface BenchStack {
  dir: string;
  temporalAddress: string;
  /** mongodb://host:port (add /<database>). */
  mongoUrl: string;
  smtp: SmtpCounter;
  client: Client;
  connection: Connection;
  /** Process IDs of the servers, for their CPU time (see cpuMeter). */
  serverPids: Record<'temporal' | 'ferretdb', number>;
  /** The prebuilt workflow bundle (project workflows + baselines) and how long bundleWorkflowCode took. */
  bundle: { path: string; buildMs: number; bytes: number };
  /** A database on FerretDB with every collection and index created (the models' indexes serve lookups: tools/ferretdb/patches). */
  database(name: string): Promise<Database>;
  /** The FerretDB data directory (one SQLite file per database). */
  ferretDataDir: string;
  /** The data set the servers run on (a copy of it), when the run has one. */
  data?: Dataset;
  /** PAYLOAD_KEYS the workers, the API and the client encrypt with (the data set's, or a key of this run). */
  payloadKeys: string;
  /** `nodeArgs`: options for node itself (e.g. --cpu-prof for throughput --profile, which NODE_OPTIONS refuses). */
  startWorker(variant: WorkerVariant, taskQueue: string, database: string, opts?: { nodeArgs?: string[] }): Promise<BenchWorker>;
  stop(): Promise<void>;
}

export interface BenchWorker {
  pid: number;
  variant: WorkerVariant;
  taskQueue: string;
  /** From spawning the process to the worker polling (bundling included when not prebuilt). */
  startMs: number;
  info: WorkerReadyInfo;
  stats(withHeap?: boolean): Promise<WorkerProcessStats>;
  /** RSS now and peak RSS since the process started (VmHWM). */
  memory(): { rssBytes: number; peakRssBytes: number };
  /** Warnings in the worker's log so far: failed activity attempts (retried) and failed workflow tasks. */
  logCounts(): { activityFailures: number; workflowTaskFailures: number };
  /** Resolves once nothing is in flight on the worker for `quietMs` in a row. */
  idle(quietMs?: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(log: (line: string) => void, data?: Dataset): Promise<BenchStack> {
  const dir = mkdtempSync(join(tmpdir(), 'xs-bench-'));
  const [temporalPort, mongoPort] = [await freePort(), await freePort()];
  mkdirSync(join(dir, 'ferretdb'), { recursive: true });
  let temporalDbFile = process.env.BENCH_TEMPORAL_DB === 'file' ? join(dir, 'temporal.db') : undefined;
  if (data) {
    log(`copying the ${data.size} data set (${data.dir}) for this run`);
    // The data set's cases live in the SQLite file: the server must run on it (not in memory).
    temporalDbFile = copyDataset(data, dir).temporalDbFile;
  }
  const processes: ManagedProcess[] = [];
  const workers = new Set<BenchWorker>();
  log(`starting Temporal dev server, FerretDB and the SMTP receiver (data in ${dir})`);
  const started = await Promise.allSettled([
    // In memory unless BENCH_TEMPORAL_DB=file: on this machine the SQLite file made starts ~3x slower (see docs/benchmarks.md).
    startTemporalServer({
      port: temporalPort,
      uiPort: 0,
      ...(temporalDbFile ? { dbFile: temporalDbFile } : {}),
      logFile: join(dir, 'temporal.log'),
    }),
    startFerretDb({ port: mongoPort, dataDir: join(dir, 'ferretdb'), logFile: join(dir, 'ferretdb.log') }),
  ]);
  for (const s of started) if (s.status === 'fulfilled') processes.push(s.value);
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(processes.map((p) => p.stop()));
    throw failed.reason;
  }
  const smtp = await startSmtpCounter();
  const temporalAddress = `127.0.0.1:${temporalPort}`;
  const connection = await Connection.connect({ address: temporalAddress });
  // Payloads are encrypted as in production (a key of this run's own, or the data set's), so the figures include the codec's cost.
  const payloadKeys = data ? data.payloadKeys : `bench:${randomBytes(32).toString('base64')}`;
  const client = new Client({ connection, namespace: data?.namespace ?? 'default', dataConverter: dataConverter(parsePayloadKeys(payloadKeys, [])) });
  const mongoUrl = `mongodb://127.0.0.1:${mongoPort}`;

  log('bundling the workflows once with bundleWorkflowCode (project workflows + baselines)');
  const t0 = now();
  const { code } = await bundleWorkflowCode({ workflowsPath: BENCH_WORKFLOWS_PATH, failureConverterPath: FAILURE_CONVERTER_PATH, logger: quietLogger });
  const buildMs = now() - t0;
  const bundlePath = join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, code);

  const stack: BenchStack = {
    dir,
    temporalAddress,
    mongoUrl,
    smtp,
    client,
    connection,
    bundle: { path: bundlePath, buildMs, bytes: Buffer.byteLength(code) },
    serverPids: { temporal: processes[0]!.child.pid!, ferretdb: processes[1]!.child.pid! },
    ferretDataDir: join(dir, 'ferretdb'),
    ...(data ? { data } : {}),
    payloadKeys,
    database(name) {
      return connectDatabase(`${mongoUrl}/${name}`); // creates every collection and its indexes
    },
    async startWorker(variant, taskQueue, database, opts = {}) {
      const statsPort = await freePort();
      const config: BenchWorkerConfig = {
        temporalAddress,
        taskQueue,
        mongodbUri: `${mongoUrl}/${database}`,
        smtpUrl: smtp.url,
        statsPort,
        payloadKeys,
        ...(variant.prebuiltBundle ? { bundlePath } : { workflowsPath: BENCH_WORKFLOWS_PATH }),
        ...(variant.smtpConnections ? { smtpConnections: variant.smtpConnections } : {}),
        options: variant.options,
        // Versioned as workers/main.ts runs it, a deployment of its own per worker (as the test harness does).
        deployment: { deploymentName: `bench-${taskQueue}`, buildId: 'bench' },
      };
      const t = now();
      let readyOutput = '';
      // stack/services.ts startNodeService, with node's own options in front of the script.
      const proc = await startProcess({
        name: `worker-${variant.name}`,
        command: process.execPath,
        args: [...(variant.nodeArgs ?? []), ...(opts.nodeArgs ?? []), join(__dirname, 'worker-process.js')],
        timeoutMs: 120_000,
        env: { BENCH_WORKER_CONFIG: JSON.stringify(config), NODE_ENV: 'production' },
        logFile: join(dir, `worker-${taskQueue}.log`),
        echo: false,
        ready: async (output) => {
          const at = output.indexOf(WORKER_READY_PREFIX);
          if (at < 0 || !output.slice(at).includes('\n')) return false;
          readyOutput = output.slice(at + WORKER_READY_PREFIX.length);
          return true;
        },
      });
      await setCurrentVersion(connection, 'default', config.deployment);
      const startMs = now() - t;
      const out = JSON.parse(readyOutput.slice(0, readyOutput.indexOf('\n'))) as WorkerReadyInfo;
      const pid = proc.child.pid!;
      const stats = async (withHeap = false): Promise<WorkerProcessStats> => {
        const res = await fetch(`http://127.0.0.1:${statsPort}/stats${withHeap ? '?heap=1' : ''}`);
        return (await res.json()) as WorkerProcessStats;
      };
      const worker: BenchWorker = {
        pid,
        variant,
        taskQueue,
        startMs,
        info: out,
        stats,
        memory: () => procMemory(pid) ?? { rssBytes: NaN, peakRssBytes: NaN },
        logCounts() {
          const text = readFileSync(proc.logFile, 'utf8');
          const count = (re: RegExp) => (text.match(re) ?? []).length;
          return { activityFailures: count(/\[WARN\] Activity failed/g), workflowTaskFailures: count(/Workflow task failed|\[(?:WARN|ERROR)\] Failed to activate workflow/g) };
        },
        async idle(quietMs = 2000, timeoutMs = 600_000) {
          const deadline = now() + timeoutMs;
          let quietSince = now();
          for (;;) {
            const s = (await stats()).status;
            const busy = s.numInFlightWorkflowActivations + s.numInFlightActivities + s.numInFlightLocalActivities > 0;
            if (busy) quietSince = now();
            else if (now() - quietSince >= quietMs) return;
            if (now() > deadline) throw new Error(`worker ${variant.name} still busy after ${timeoutMs / 1000}s`);
            await new Promise((r) => setTimeout(r, 100));
          }
        },
        async stop() {
          workers.delete(worker);
          await proc.stop('SIGTERM');
        },
      };
      workers.add(worker);
      return worker;
    },
    async stop() {
      for (const w of [...workers]) await w.stop().catch(() => undefined);
      await connection.close().catch(() => undefined);
      await smtp.close().catch(() => undefined);
      for (const p of [...processes].reverse()) await p.stop().catch(() => undefined);
      if (!process.env.BENCH_KEEP_DATA) rmSync(dir, { recursive: true, force: true });
      else log(`data and logs kept in ${dir}`);
    },
  };
  return stack;
}

export const randomSecret = (n = 32): string => randomBytes(n).toString('base64url').slice(0, n);

/** bundleWorkflowCode's webpack output is noise in the benchmark's output. */
const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (msg: string) => console.warn(msg),
  error: (msg: string) => console.error(msg),
};

export { rssSampler };
