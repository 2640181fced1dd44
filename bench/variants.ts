/**
 * The worker configurations the benchmarks compare. `default` is the worker
 * as workers/worker.ts builds it (workflows bundled at start, SDK defaults,
 * email/mailer.ts' transport); the others are the tunings tried.
 */
import type { BenchName } from './context';
import type { WorkerVariant } from './worker-config';

export const VARIANTS: Array<{ variant: WorkerVariant; for: BenchName[] }> = [
  { variant: { name: 'default', prebuiltBundle: false, options: {} }, for: ['throughput', 'api', 'digest', 'sleeping'] },
];
