/**
 * The worker configurations the benchmarks compare.
 *
 * - `default`: the worker as workers/worker.ts builds it and workers/main.ts runs it without
 *   WORKFLOW_BUNDLE_PATH: workflows bundled by webpack at start, the SDK's defaults
 *   (maxCachedWorkflows from the heap size, 40 workflow tasks / 100 activities at once),
 *   email/mailer.ts' transport (5 pooled SMTP connections: a tuning these benchmarks found, now
 *   the default; `smtp1` shows it with one).
 * - `tuned`: every tuning that paid off and is not a default: a prebuilt bundle
 *   (bundleWorkflowCode, as WORKFLOW_BUNDLE_PATH does), and for the digest bigger pages.
 * - the others change one thing at a time (`--variants all`), so each tuning's own effect shows;
 *   `heap768` caps V8's old space (node's --max-old-space-size, per isolate: the main thread and each
 *   workflow thread), so the garbage of tens of thousands of first runs is collected before RSS grows.
 *
 * A full run (`npm run bench`) runs `default` and `tuned`; `--variants all` adds the single-change
 * ones; `--variants default` runs the default only.
 */
import type { BenchName } from './context';
import type { WorkerVariant } from './worker-config';

const PAGES = { pageSize: 1000, pagesPerRun: 2 };

export interface VariantEntry {
  variant: WorkerVariant;
  for: BenchName[];
  /** In a full run; otherwise only with --variants all. */
  always: boolean;
}

export const VARIANTS: VariantEntry[] = [
  { variant: { name: 'default', prebuiltBundle: false, options: {} }, for: ['throughput', 'api', 'digest', 'sleeping'], always: true },
  { variant: { name: 'bundle', prebuiltBundle: true, options: {} }, for: ['throughput', 'sleeping'], always: false },
  { variant: { name: 'smtp1', prebuiltBundle: false, smtpConnections: 1, options: {} }, for: ['throughput', 'digest'], always: false },
  { variant: { name: 'pages', prebuiltBundle: false, options: {}, digestBatching: PAGES }, for: ['digest'], always: false },
  { variant: { name: 'cache500', prebuiltBundle: true, options: { maxCachedWorkflows: 500 } }, for: ['sleeping'], always: false },
  { variant: { name: 'heap768', prebuiltBundle: false, options: {}, nodeArgs: ['--max-old-space-size=768'] }, for: ['sleeping'], always: false },
  { variant: { name: 'tuned', prebuiltBundle: true, options: {}, digestBatching: PAGES }, for: ['throughput', 'digest'], always: true },
];

/** `which`: full, all, default, or one variant's name. */
export function variantsFor(benchmark: BenchName, which: string): WorkerVariant[] {
  return VARIANTS.filter((v) => v.for.includes(benchmark))
    .filter((v) => (which === 'full' ? v.always : which === 'all' ? true : v.variant.name === which))
    .map((v) => v.variant);
}
