import type { BenchContext, BenchResult } from './context';

export async function runApiLatency(_ctx: BenchContext): Promise<BenchResult> {
  throw new Error('not yet');
}
