/**
 * The benchmark's worker process: the project's worker (workers/worker.ts
 * createWorker, the real activities on FerretDB and SMTP) plus the baseline
 * workflows and activity, in a process of its own so its memory can be read
 * alone. Configured by BENCH_WORKER_CONFIG (bench/worker-config.ts); serves
 * its memory and status on 127.0.0.1:<statsPort>/stats.
 */
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { Client, Connection } from '@temporalio/client';
import { createActivities } from '../activities';
import { dataConverter } from '../codec/data-converter';
import { parsePayloadKeys } from '../config/payload-keys';
import { connectDatabase } from '../db/connection';
import { DEFAULT_RULES } from '../domain/rules';
import { createMailer } from '../email/mailer';
import { createWorker } from '../workers/worker';
import { benchActivities } from './activities';
import { WORKER_READY_PREFIX, type BenchWorkerConfig, type WorkerProcessStats, type WorkerReadyInfo } from './worker-config';

import { MAIL_FROM } from './worker-process-constants';

interface ReportHeap {
  javascriptHeap?: { totalMemory: number; usedMemory: number };
}

/** The workflow threads' heaps: the diagnostic report lists every worker thread with its V8 heap. */
function workflowThreadHeaps(): { used: number; total: number; threads: number } {
  const report = process.report.getReport() as unknown as { workers?: ReportHeap[] };
  const workers = report.workers ?? [];
  return {
    used: workers.reduce((s, w) => s + (w.javascriptHeap?.usedMemory ?? 0), 0),
    total: workers.reduce((s, w) => s + (w.javascriptHeap?.totalMemory ?? 0), 0),
    threads: workers.length,
  };
}

function numSlots(supplier: unknown): number | null {
  const s = supplier as { type?: string; numSlots?: number } | undefined;
  return s?.type === 'fixed-size' && typeof s.numSlots === 'number' ? s.numSlots : null;
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.env.BENCH_WORKER_CONFIG ?? '') as BenchWorkerConfig;
  const started = performance.now();
  const [db, clientConnection] = await Promise.all([connectDatabase(cfg.mongodbUri), Connection.connect({ address: cfg.temporalAddress })]);
  const mailer = createMailer({ smtpUrl: cfg.smtpUrl, from: MAIL_FROM, ...(cfg.smtpConnections ? { maxConnections: cfg.smtpConnections } : {}) });
  const payloadKeys = parsePayloadKeys(cfg.payloadKeys, []);
  const temporal = new Client({ connection: clientConnection, namespace: 'default', dataConverter: dataConverter(payloadKeys) });
  const deps = {
    models: db.models,
    mailer,
    rules: DEFAULT_RULES,
    backofficeLead: 'lead@xs-key.example',
    publicBaseUrl: 'http://127.0.0.1:3000',
    temporal,
  };
  const connected = performance.now();
  const { worker, connection } = await createWorker({
    temporal: { address: cfg.temporalAddress, namespace: 'default', taskQueue: cfg.taskQueue },
    payloadKeys,
    deps,
    deployment: cfg.deployment,
    options: {
      ...(cfg.bundlePath ? { workflowBundle: { codePath: cfg.bundlePath }, workflowsPath: undefined } : { workflowsPath: cfg.workflowsPath }),
      activities: { ...createActivities(deps), ...benchActivities },
      ...cfg.options,
    },
  });
  const created = performance.now();
  const running = worker.run();

  const stats = (withHeap: boolean): WorkerProcessStats => {
    const mem = process.memoryUsage();
    const s = worker.getStatus();
    const heaps = withHeap ? workflowThreadHeaps() : undefined;
    return {
      rssBytes: mem.rss,
      mainHeapUsedBytes: mem.heapUsed,
      mainHeapTotalBytes: mem.heapTotal,
      ...(heaps ? { workflowHeapUsedBytes: heaps.used, workflowHeapTotalBytes: heaps.total, workflowThreads: heaps.threads } : {}),
      status: {
        runState: s.runState,
        numCachedWorkflows: s.numCachedWorkflows,
        numInFlightWorkflowActivations: s.numInFlightWorkflowActivations,
        numInFlightActivities: s.numInFlightActivities,
        numInFlightLocalActivities: s.numInFlightLocalActivities,
      },
    };
  };
  const server = createServer((req, res) => {
    const body = JSON.stringify(stats(req.url?.includes('heap=1') ?? false));
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(cfg.statsPort, '127.0.0.1', resolve));

  const o = worker.options;
  const info: WorkerReadyInfo = {
    connectMs: connected - started,
    createMs: created - connected,
    resolved: {
      maxCachedWorkflows: o.maxCachedWorkflows,
      maxConcurrentWorkflowTaskExecutions: numSlots(o.tuner.workflowTaskSlotSupplier),
      maxConcurrentActivityTaskExecutions: numSlots(o.tuner.activityTaskSlotSupplier),
      maxConcurrentLocalActivityExecutions: numSlots(o.tuner.localActivityTaskSlotSupplier),
      workflowThreadPoolSize: o.workflowThreadPoolSize,
      reuseV8Context: o.reuseV8Context ?? true,
      heapSizeLimitMiB: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20),
    },
  };
  console.log(WORKER_READY_PREFIX + JSON.stringify(info));
  const stop = () => worker.shutdown();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    await running;
  } finally {
    server.close();
    await connection.close();
    await clientConnection.close();
    mailer.close();
    await db.close();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
