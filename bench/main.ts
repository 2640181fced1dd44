/**
 * `npm run bench [-- <benchmark>...] [--data realistic|small|tiny] [--companies N] [--watches N] [--cards N]
 *   [--bare N] [--in-flight N] [--rate R] [--duration S] [--store-docs N] [--scale X] [--variants full|all|default|<name>] [--awake]
 *   [--profile]`
 *
 * --profile (throughput): also a card run on a worker under `node --cpu-prof`, and where its CPU went,
 * written to bench/results/tmp/throughput-profile.{json,md} (bench/profile.ts).
 *
 * Runs the benchmarks of issue 5 on a local stack it starts itself (bench/stack.ts):
 * throughput, api, digest, sleeping, store (all of them by default, at the issue's sizes).
 * Each prints a table and writes bench/results/<benchmark>.json, plus
 * bench/results/summary.json and summary.md. A run at other sizes writes under
 * bench/results/tmp/ instead (git-ignored), so the committed results stay those of
 * the default sizes. The environment can say the same: BENCH=digest,sleeping,
 * BENCH_SCALE=0.2, BENCH_VARIANTS=default.
 *
 * `--data <size>` (BENCH_DATA): the servers run on a copy of the seeded data set
 * of that size (seed/dataset.ts, built once per machine), and the api, digest and
 * sleeping benchmarks measure on its records and running cases (their sizes are
 * the data set's: --companies and --watches do not apply). Its results go to
 * bench/results/<size>/ (tmp/<size>/ at other sizes), each saying which data set.
 */
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { runApiLatency } from './api-latency';
import { BENCH_NAMES, DEFAULT_SIZES, type BenchContext, type BenchName, type BenchResult, type Sizes } from './context';
import { runDigest } from './digest';
import { MiB, round, table } from './measure';
import { runSleeping } from './sleeping';
import { startStack } from './stack';
import { runStore } from './store';
import { ensureAwakeDataset, type AwakeDataset } from '../drills/awake';
import { ensureDataset, type DatasetSize } from '../seed/dataset';
import { SIZES } from '../seed/data';
import { runThroughput } from './throughput';
import { VARIANTS, variantsFor } from './variants';

const ROOT = join(__dirname, '..', '..');
const RESULTS = join(ROOT, 'bench', 'results');

const RUNNERS: Record<BenchName, (ctx: BenchContext) => Promise<BenchResult>> = {
  throughput: runThroughput,
  api: runApiLatency,
  digest: runDigest,
  sleeping: runSleeping,
  store: runStore,
};

const FLAGS: Record<string, keyof Sizes> = {
  '--cards': 'cards',
  '--bare': 'bare',
  '--in-flight': 'inFlight',
  '--rate': 'rate',
  '--duration': 'duration',
  '--companies': 'companies',
  '--watches': 'watches',
  '--store-docs': 'storeDocs',
};

interface Cli {
  only: BenchName[];
  sizes: Sizes;
  /** full: default and tuned; all: also each tuning on its own; default: the default configuration only. */
  /** `full` (default and tuned), `all`, `default`, or one variant by name (bench/variants.ts), e.g. `heap768`. */
  variants: string;
  /** Every benchmark at the default sizes and variants: the results the docs show. */
  full: boolean;
  defaultSizes: boolean;
  /** throughput: profile a card run too (bench/profile.ts); the run's results go to bench/results/tmp/. */
  profile: boolean;
  /** The seeded data set the servers run on (seed/dataset.ts); unset: each benchmark writes its own records. */
  data?: DatasetSize;
  /** On the drills' woken copy of the data set (drills/awake.ts): its cases already sleep; results to tmp/<size>-awake/. */
  awake: boolean;
}

/**
 * With a data set, the sleeping benchmark runs before the api and digest ones: it measures the
 * data set's cases being brought asleep for the first time; the others then find them asleep, as
 * they are on a running system (and the digest runs before the API adds companies and applications).
 */
export function runOrder(names: BenchName[], data: boolean): BenchName[] {
  if (!data) return names;
  const first: BenchName[] = ['sleeping', 'digest', 'api'];
  return [...first.filter((n) => names.includes(n)), ...names.filter((n) => !first.includes(n))];
}

export function parseCli(argv: string[], env: NodeJS.ProcessEnv): Cli {
  const only = new Set<BenchName>((env.BENCH ?? '').split(',').map((s) => s.trim()).filter(Boolean) as BenchName[]);
  const sizes: Sizes = { ...DEFAULT_SIZES };
  let scale = env.BENCH_SCALE ? Number(env.BENCH_SCALE) : 1;
  let variants: Cli['variants'] = env.BENCH_VARIANTS === 'default' || env.BENCH_VARIANTS === 'all' ? env.BENCH_VARIANTS : 'full';
  let data = env.BENCH_DATA || undefined;
  const explicit = new Set<keyof Sizes>();
  let profile = false;
  let awake = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.split('=', 2) as [string, string | undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag in FLAGS) {
      const n = Number(value());
      if (!(n > 0)) throw new Error(`${flag} must be a positive number`);
      sizes[FLAGS[flag]!] = n;
      explicit.add(FLAGS[flag]!);
    } else if (flag === '--data') {
      data = value();
    } else if (flag === '--scale') {
      scale = Number(value());
    } else if (flag === '--variants') {
      const v = value();
      if (!['all', 'default', 'full', ...VARIANTS.map((x) => x.variant.name)].includes(v)) {
        throw new Error(`--variants is full (default and tuned), all, default or one of ${VARIANTS.map((x) => x.variant.name).join(', ')}`);
      }
      variants = v;
    } else if (flag === '--profile') {
      profile = true;
    } else if (flag === '--awake') {
      awake = true;
    } else if (flag === '--help' || flag === '-h') {
      console.log(readFileSync(__filename, 'utf8').split('*/')[0]);
      process.exit(0);
    } else if ((BENCH_NAMES as readonly string[]).includes(arg)) {
      only.add(arg as BenchName);
    } else {
      throw new Error(`unknown argument "${arg}": benchmarks are ${BENCH_NAMES.join(', ')}; flags ${Object.keys(FLAGS).join(' ')} --scale --variants --profile --awake`);
    }
  }
  if (!(scale > 0)) throw new Error('--scale must be a positive number');
  if (scale !== 1) {
    for (const key of ['cards', 'bare', 'companies', 'watches', 'duration', 'storeDocs'] as const) {
      if (!explicit.has(key)) sizes[key] = Math.max(1, Math.round(sizes[key] * scale));
    }
  }
  for (const name of only) if (!BENCH_NAMES.includes(name)) throw new Error(`unknown benchmark "${name}" (BENCH)`);
  if (data !== undefined && !(data in SIZES)) throw new Error(`--data is one of ${Object.keys(SIZES).join(', ')}`);
  if (awake && !data) throw new Error('--awake needs --data <size>');
  if (data) {
    // On the data set 20 requests/s per endpoint (issue 13), every read and start endpoint for 20 s.
    if (!explicit.has('rate')) sizes.rate = DATA_RATE;
    if (!explicit.has('duration')) sizes.duration = DATA_DURATION_S;
  }
  const defaultSizes =
    (Object.keys(DEFAULT_SIZES) as Array<keyof Sizes>).every((k) => !explicit.has(k) || sizes[k] === DEFAULT_SIZES[k]) && scale === 1 && (variants === 'full' || variants === 'all') && !profile && !awake;
  const selected = only.size ? BENCH_NAMES.filter((n) => only.has(n)) : [...BENCH_NAMES];
  return {
    only: runOrder(selected, data !== undefined),
    sizes,
    variants,
    defaultSizes,
    profile,
    awake,
    full: defaultSizes && selected.length === BENCH_NAMES.length && variants === 'full',
    ...(data ? { data: data as DatasetSize } : {}),
  };
}

const DATA_RATE = 20;
const DATA_DURATION_S = 20;

function machine() {
  const cpu = cpus();
  let load = '';
  try {
    load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    // not Linux
  }
  return {
    cpus: cpu.length,
    cpuModel: cpu[0]?.model ?? 'unknown',
    memoryGiB: round(totalmem() / 1024 / MiB, 1),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverageAtStart: load,
    commit: git('git rev-parse --short HEAD'),
    uncommittedChangesInTree: git('git status --porcelain') !== '',
  };
}

function git(cmd: string): string {
  try {
    return execSync(cmd, { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return '';
  }
}

/**
 * Compiled files whose source is gone (dist/ is never cleaned by tsc): a stale
 * dist/db/models.js shadows dist/db/models/index.js and the worker then runs old code.
 */
function staleCompiledFiles(): string[] {
  const dist = join(ROOT, 'dist');
  const stale: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(dist, dir), { withFileTypes: true })) {
      const rel = join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.js') && !existsSync(join(ROOT, rel.replace(/\.js$/, '.ts'))) && !existsSync(join(ROOT, rel))) stale.push(join(dist, rel));
    }
  };
  for (const dir of ['activities', 'api', 'config', 'db', 'domain', 'email', 'workers', 'workflows', 'schedules', 'stack', 'bench']) {
    if (existsSync(join(dist, dir))) walk(dir);
  }
  return stale;
}

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2), process.env);
  const stale = staleCompiledFiles();
  // X.js next to a folder X/ is what require('./X') loads first: old code would run.
  const shadowing = stale.filter((f) => existsSync(f.replace(/\.js$/, '')));
  if (shadowing.length) {
    throw new Error(`compiled files without a source in dist/ shadow the current code: ${shadowing.join(', ')}; remove them (or dist/) and run again`);
  }
  if (stale.length) console.warn(`[bench] compiled files without a source in dist/ (not used by the bench): ${stale.join(', ')}`);
  // A data set's results apart from the synthetic ones (bench/results/<size>/), each file naming the data set.
  const outDir = join(cli.defaultSizes ? RESULTS : join(RESULTS, 'tmp'), cli.data ? `${cli.data}${cli.awake ? '-awake' : ''}` : '');
  mkdirSync(outDir, { recursive: true });
  const log = (line: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);
  const command = `npm run bench${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}`;
  const started = new Date();
  const info = machine();
  log(`${command}: ${cli.only.join(', ')}; sizes ${JSON.stringify(cli.sizes)}; variants ${cli.variants}`);
  log(`machine: ${info.cpus} x ${info.cpuModel}, ${info.memoryGiB} GiB, Node ${info.node}, load ${info.loadAverageAtStart}`);

  const seeded = cli.data ? await ensureDataset(cli.data, log) : undefined;
  // The woken copy is the drills' (built once per machine, up to 3 hours at realistic size).
  const dataset = seeded && cli.awake ? await ensureAwakeDataset(seeded, 180) : seeded;
  if (dataset) log(`data set ${dataset.size} (as of ${dataset.asOf}): ${JSON.stringify(dataset.counts)}`);
  const stack = await startStack(log, dataset);
  const stopping = async () => {
    await stack.stop();
    process.exit(130);
  };
  process.once('SIGINT', () => void stopping());
  process.once('SIGTERM', () => void stopping());
  const results: BenchResult[] = [];
  const failures: Array<{ benchmark: BenchName; error: string }> = [];
  try {
    for (const name of cli.only) {
      const ctx: BenchContext = { stack, sizes: cli.sizes, variants: variantsFor(name, cli.variants), log, ...(cli.profile ? { profile: { outDir } } : {}) };
      try {
        const result = await RUNNERS[name](ctx);
        results.push(result);
        for (const t of result.tables) console.log('\n' + t);
        for (const t of result.tunings) console.log(`  tuning: ${t}`);
        for (const n of result.notes) console.log(`  note: ${n}`);
        writeFileSync(join(outDir, `${name}.json`), JSON.stringify({ command, machine: info, bundle: bundleInfo(stack), data: dataInfo(stack), ...result }, null, 2) + '\n');
      } catch (err) {
        const error = err instanceof Error ? err.stack ?? err.message : String(err);
        failures.push({ benchmark: name, error });
        log(`${name} FAILED: ${error}`);
      }
    }
  } finally {
    await stack.stop();
  }

  const durationS = round((Date.now() - started.getTime()) / 1000, 1);
  // The summary covers the last result of every benchmark in this folder (a subset run at the
  // default sizes replaces its own files only); each says which run it came from.
  const stored = BENCH_NAMES.map((name) => join(outDir, `${name}.json`))
    .filter((file) => existsSync(file))
    .map((file) => JSON.parse(readFileSync(file, 'utf8')) as StoredResult);
  const summary = {
    lastRun: { command, startedAt: started.toISOString(), durationS, benchmarks: cli.only, failures, data: dataInfo(stack) },
    machine: info,
    bundle: bundleInfo(stack),
    benchmarks: Object.fromEntries(
      stored.map((r) => [r.benchmark, { command: r.command, startedAt: r.startedAt, durationS: r.durationS, sizes: r.sizes, ratios: r.ratios, tunings: r.tunings, notes: r.notes }]),
    ),
  };
  writeFileSync(join(outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  const md = summaryMarkdown(summary.lastRun, stored);
  writeFileSync(join(outDir, 'summary.md'), md);
  console.log(
    '\n' +
      table(
        'Summary: ratios against the baselines measured in the same run',
        results.flatMap((r) => Object.entries(r.ratios).map(([k, v]) => ({ benchmark: r.benchmark, figure: k, ratio: v }))),
      ),
  );
  log(`results in ${outDir} (${durationS} s)`);
  if (outDir === RESULTS && failures.length === 0 && stored.length === BENCH_NAMES.length) {
    updateDocs(md, 'results');
    log('docs/benchmarks.md updated with the last results');
  } else if (cli.data === 'realistic' && outDir === join(RESULTS, 'realistic') && failures.length === 0 && stored.length === BENCH_NAMES.length) {
    updateDocs(md, 'realistic');
    log('docs/benchmarks.md updated with the last results');
  }
  if (failures.length) process.exitCode = 1;
}

type StoredResult = BenchResult & { command: string; machine: ReturnType<typeof machine>; bundle: ReturnType<typeof bundleInfo>; data?: ReturnType<typeof dataInfo> };

/** Which data set a result was measured on (null: the benchmark's own synthetic records). */
function dataInfo(stack: { data?: { size: string; asOf: string; counts: Record<string, number>; buildSeconds: number } & Partial<Pick<AwakeDataset, 'awake'>> }) {
  const d = stack.data;
  return d ? { size: d.size, asOf: d.asOf, counts: d.counts, ...(d.awake ? { awake: 'the drills\' woken copy (drills/awake.ts): every case past its first task' } : {}) } : null;
}

function bundleInfo(stack: { bundle: { buildMs: number; bytes: number } }) {
  return { bundleWorkflowCodeMs: round(stack.bundle.buildMs, 0), bundleMiB: round(stack.bundle.bytes / MiB, 2) };
}

function summaryMarkdown(last: { command: string; startedAt: string; durationS: number }, stored: StoredResult[]): string {
  const runs = [...new Map(stored.map((r) => [`${r.command}|${r.machine.commit}`, r])).values()];
  const lines = [
    `Last run: \`${last.command}\`, started ${last.startedAt}, ${round(last.durationS / 60, 1)} minutes in all (set-up excluded).`,
    '',
    ...runs.map((r) => {
      const m = r.machine;
      return (
        `- \`${r.command}\` at commit ${m.commit}${m.uncommittedChangesInTree ? ' (others\' uncommitted work in the tree)' : ''}: ` +
        `${m.cpus} x ${m.cpuModel}, ${m.memoryGiB} GiB RAM, Node ${m.node}, ${m.platform}; load average at its start ${m.loadAverageAtStart}; ` +
        `bundleWorkflowCode ${r.bundle.bundleWorkflowCodeMs} ms (${r.bundle.bundleMiB} MiB)` +
        (r.data ? `; on the ${r.data.size} data set as of ${r.data.asOf} (${Object.entries(r.data.counts).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ')}).` : '.')
      );
    }),
    '',
  ];
  for (const r of stored) {
    lines.push(`### ${r.title}`, '', `From \`${r.command}\`, started ${r.startedAt}, ${round(r.durationS / 60, 1)} minutes.`, '');
    lines.push(...r.measured.map((s) => `- ${s}`), '', '```', ...r.tables.map((t) => t.trimEnd()), '```', '');
    if (r.tunings.length) lines.push('What the tunings changed:', '', ...r.tunings.map((t) => `- ${t}`), '');
    if (r.notes.length) lines.push(...r.notes.map((n) => `- ${n}`), '');
  }
  return lines.join('\n');
}

/** Replaces a results block of docs/benchmarks.md (runs at the default sizes, once every benchmark has a result). */
function updateDocs(md: string, block: 'results' | 'realistic'): void {
  const START = `<!-- bench:${block}:start -->`;
  const END = `<!-- bench:${block}:end -->`;
  const file = join(ROOT, 'docs', 'benchmarks.md');
  if (!existsSync(file)) return;
  const text = readFileSync(file, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) return;
  writeFileSync(file, text.slice(0, a + START.length) + '\n' + md.trimEnd() + '\n' + text.slice(b));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
