/** What every benchmark gets, and what it hands back. */
import type { BenchStack } from './stack';
import type { WorkerVariant } from './worker-config';

export type BenchName = 'throughput' | 'api' | 'digest' | 'sleeping' | 'store';
export const BENCH_NAMES: readonly BenchName[] = ['throughput', 'api', 'digest', 'sleeping', 'store'];

export interface Sizes {
  /** throughput: card applications driven from approval to a produced card. */
  cards: number;
  /** throughput: bare workflows (one no-op activity) per baseline measurement. */
  bare: number;
  /** throughput: items in flight at once (the same for the cards and the baseline). */
  inFlight: number;
  /** api: requests per second sent to each endpoint (and to /healthz at the same time). */
  rate: number;
  /** api: seconds per endpoint. */
  duration: number;
  /** digest: companies with open items. */
  companies: number;
  /** sleeping: licence watches (and as many baseline sleepers). */
  watches: number;
  /** store: documents in the large collection of the store micro-benchmark (against 100). */
  storeDocs: number;
}

export const DEFAULT_SIZES: Sizes = {
  cards: 200,
  bare: 400,
  inFlight: 100,
  rate: 5,
  duration: 40,
  companies: 10_000,
  watches: 10_000,
  storeDocs: 60_000,
};

export interface BenchContext {
  stack: BenchStack;
  sizes: Sizes;
  /** Worker configurations: `default` is workers/worker.ts as it is; the others are tunings. */
  variants: WorkerVariant[];
  log(line: string): void;
  /** throughput --profile: also profile a card run on a worker of its own; its summary is written to this folder. */
  profile?: { outDir: string };
}

export interface BenchResult {
  benchmark: BenchName;
  title: string;
  /** What exactly is measured, in words. */
  measured: string[];
  sizes: Partial<Sizes>;
  startedAt: string;
  durationS: number;
  /** Headline figures: always ratios against the baseline measured in the same run. */
  ratios: Record<string, number>;
  /** The variants (worker configurations) with their figures. */
  results: Array<Record<string, unknown>>;
  /** What each tuning changed, in words, computed from the figures. */
  tunings: string[];
  notes: string[];
  /** The printed tables. */
  tables: string[];
}
