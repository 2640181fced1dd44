/** How the benchmark starts a worker process (bench/worker-process.ts): passed as JSON in BENCH_WORKER_CONFIG. */

/** The worker options a benchmark may tune (a subset of @temporalio/worker's WorkerOptions). */
export interface TunableWorkerOptions {
  maxCachedWorkflows?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentLocalActivityExecutions?: number;
  workflowTaskPollerBehavior?: { type: 'simple-maximum'; maximum: number } | { type: 'autoscaling'; minimum?: number; maximum?: number; initial?: number };
  activityTaskPollerBehavior?: { type: 'simple-maximum'; maximum: number } | { type: 'autoscaling'; minimum?: number; maximum?: number; initial?: number };
}

export interface WorkerVariant {
  /** Short name shown in tables, e.g. `default` or `tuned`. */
  name: string;
  /** A prebuilt bundle (bundleWorkflowCode) instead of bundling at start like workers/worker.ts does. */
  prebuiltBundle: boolean;
  /** SMTP connections email/mailer.ts keeps open (SMTP_MAX_CONNECTIONS); unset: its default. */
  smtpConnections?: number;
  options: TunableWorkerOptions;
  /** Options for node itself, e.g. a V8 heap limit (`--max-old-space-size=768`, what NODE_OPTIONS does in production). */
  nodeArgs?: string[];
  /** Digest only: the run's batching (MonthlyDigestInput.batching), not a worker option. */
  digestBatching?: { pageSize?: number; maxInFlight?: number; pagesPerRun?: number };
}

export interface BenchWorkerConfig {
  temporalAddress: string;
  taskQueue: string;
  mongodbUri: string;
  smtpUrl: string;
  statsPort: number;
  /** PAYLOAD_KEYS of this run (config/payload-keys.ts): the worker encrypts payloads as in production. */
  payloadKeys: string;
  /** Where the workflows are: the bundle file (prebuilt) or the module the worker bundles at start. */
  bundlePath?: string;
  workflowsPath?: string;
  smtpConnections?: number;
  options: TunableWorkerOptions;
  /**
   * The Worker Deployment Version the worker polls as (workflows/versioning.ts: the server refuses a
   * workflow's versioning behaviour from an unversioned worker); the bench makes it current once it polls.
   */
  deployment: { deploymentName: string; buildId: string };
}

export const WORKER_READY_PREFIX = 'bench-worker: ready ';

/** What the worker process reports about itself (GET /stats on its stats port). */
export interface WorkerProcessStats {
  rssBytes: number;
  /** The main thread's V8 heap. */
  mainHeapUsedBytes: number;
  mainHeapTotalBytes: number;
  /** The workflow threads' V8 heaps (from the diagnostic report), when asked with ?heap=1. */
  workflowHeapUsedBytes?: number;
  workflowHeapTotalBytes?: number;
  workflowThreads?: number;
  status: {
    runState: string;
    numCachedWorkflows: number;
    numInFlightWorkflowActivations: number;
    numInFlightActivities: number;
    numInFlightLocalActivities: number;
  };
}

export interface WorkerReadyInfo {
  /** From the process start to the worker polling, measured inside it. */
  connectMs: number;
  createMs: number;
  /** The options the SDK resolved (defaults included). */
  resolved: {
    maxCachedWorkflows: number;
    maxConcurrentWorkflowTaskExecutions: number | null;
    maxConcurrentActivityTaskExecutions: number | null;
    maxConcurrentLocalActivityExecutions: number | null;
    workflowThreadPoolSize: number;
    reuseV8Context: boolean;
    heapSizeLimitMiB: number;
  };
}
