/** Small measuring helpers shared by the benchmarks: clocks, percentiles, memory of a process, tables. */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export const now = (): number => performance.now();
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const MiB = 2 ** 20;

/** Nearest-rank percentile of unsorted values (p in 0..100). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export const round = (x: number, digits = 2): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);
export const ratio = (a: number, b: number): number => round(a / b, 3);

/**
 * Runs `fn` over 0..count-1 with at most `limit` calls in flight. After a
 * failure no new call starts; the ones in flight are awaited, then the first
 * failure is thrown (so nothing runs on after the caller moved on).
 */
export async function inParallel(count: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (next < count && !failure) {
      try {
        await fn(next++);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
  if (failure) throw failure.error;
}

/** Retries `fn` (after `done()` says it did not take effect) up to `attempts` times; counts the retries. */
export async function withRetries<T>(fn: () => Promise<T>, done: () => Promise<boolean>, counter: { retries: number }, attempts = 5): Promise<T | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (await done().catch(() => false)) return undefined;
      if (attempt >= attempts) throw err;
      counter.retries += 1;
      await sleep(1000 * attempt);
    }
  }
}

/** VmRSS and VmHWM (peak RSS since the process started) of a process, from /proc. */
export function procMemory(pid: number): { rssBytes: number; peakRssBytes: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** CPU time (user + system, ms) a process used so far, from /proc. */
export function procCpuMs(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after the command name
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; returns the largest sample. */
export function rssSampler(pid: number, everyMs = 250): { stop(): number } {
  let peak = 0;
  const take = () => {
    const m = procMemory(pid);
    if (m && m.rssBytes > peak) peak = m.rssBytes;
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return peak;
    },
  };
}

/** Prints rows as an aligned text table. */
export function table(title: string, rows: Array<Record<string, string | number | boolean | null | undefined>>): string {
  if (rows.length === 0) return `${title}\n  (no rows)\n`;
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'number' ? String(round(v, 3)) : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => '  ' + values.map((v, i) => v.padEnd(widths[i]!)).join('  ');
  return [title, line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n') + '\n';
}

/** Polls until `probe` is truthy; throws after `timeoutMs`. */
export async function until(probe: () => Promise<boolean> | boolean, timeoutMs: number, what: string, everyMs = 200): Promise<void> {
  const deadline = now() + timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Logs `done/total` every `everyMs` while a long step runs. */
export function progress(log: (line: string) => void, label: string, total: number, everyMs = 15_000): { tick(n?: number): void; done(): void } {
  let count = 0;
  const t0 = now();
  const timer = setInterval(() => log(`  ${label}: ${count}/${total} after ${Math.round((now() - t0) / 1000)} s`), everyMs);
  return {
    tick: (n = 1) => void (count += n),
    done: () => clearInterval(timer),
  };
}

/** CPU seconds each process used between start and read: where the time of a measurement went. */
export function cpuMeter(pids: Record<string, number>): { read(): Record<string, number> } {
  const self = process.cpuUsage();
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, procCpuMs(pid) ?? NaN]));
  return {
    read() {
      const out: Record<string, number> = {};
      for (const [name, pid] of Object.entries(pids)) out[name] = round(((procCpuMs(pid) ?? NaN) - before[name]!) / 1000, 2);
      const used = process.cpuUsage(self);
      out.bench = round((used.user + used.system) / 1e6, 2);
      return out;
    },
  };
}
