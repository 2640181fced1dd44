/**
 * `npm run drill [-- <drill>... [--name=value]...]`: the fault drills of the
 * local stack, each on a stack of its own (drills/stack.ts). Without names,
 * all of them run in order. Exits non-zero when a drill lost or duplicated
 * anything (or the API stopped serving valid requests).
 *
 *   worker-kill       --applications=200 --kills=5 --interval=8 --down=2
 *   worker-rolling    --applications=120 --replacements=2 --interval=15 --smtp-delay-ms=300 --smtp-connections=2
 *   temporal-restart  --applications=60 --restarts=1 --temporal-down=10
 *   ferretdb-outage   --applications=60 --freeze=40 --ferret-down=10
 *   api-crash         --cases=90 --kills=6 --delay-ms=400 --abandon-every=5 --converge=60
 *   api-burst         --seconds=15 --burst-connections=64 --valid-rate=50 --min-success-rate=0.99 [--max-p95-ms=N]
 *   slow-smtp         --companies=1000 --applications=50 --answer-ms=1000-2000 --stall-every=33 --stall-seconds=40
 *                     --timeout=25 (minutes) --converge=120 --registration-concurrency=20
 *   (all)             --concurrency=N (cases driven at once; default: all of them) --case-timeout=25 (minutes)
 *                     --keep (keep the stacks' folders)
 *                     --data=realistic|small|tiny: each stack starts on a copy of that seeded data set (built
 *                     once per machine, seed/dataset.ts), whose running cases wake on the drill's worker;
 *                     --settle=20 (minutes the drill waits for them after its own cases, drills/dataset-check.ts)
 *                     --awake: on a copy of the data set whose cases have woken and sleep on their timers, as
 *                     in production (built once per machine, drills/awake.ts; --wake=180 minutes at most)
 */
import { apiBurstDrill } from './api-burst';
import { apiCrashDrill } from './api-crash';
import { ferretDbOutageDrill } from './ferretdb-outage';
import { slowSmtpDrill } from './slow-smtp';
import { ensureDataset, type DatasetSize } from '../seed/dataset';
import { ensureAwakeDataset } from './awake';
import { activeStacks, say, useDataset, type DrillResult } from './stack';
import { temporalRestartDrill } from './temporal-restart';
import { workerKillDrill } from './worker-kill';
import { workerRollingDrill } from './worker-rolling';

const DRILLS = ['worker-kill', 'worker-rolling', 'temporal-restart', 'ferretdb-outage', 'api-burst', 'api-crash', 'slow-smtp'] as const;
type DrillName = (typeof DRILLS)[number];

function parseArgs(argv: string[]): { names: DrillName[]; opts: Record<string, string> } {
  const names: DrillName[] = [];
  const opts: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--([\w-]+)(?:=(.*))?$/.exec(arg);
    if (m?.[1] === 'data' && m[2] === undefined) opts.data = argv[++i] ?? ''; // also `--data realistic`
    else if (m) opts[m[1]!] = m[2] ?? 'true';
    else if ((DRILLS as readonly string[]).includes(arg)) names.push(arg as DrillName);
    else throw new Error(`unknown drill or argument "${arg}"; drills: ${DRILLS.join(', ')}`);
  }
  return { names: names.length ? names : [...DRILLS], opts };
}

function num(opts: Record<string, string>, name: string, fallback: number): number {
  if (opts[name] === undefined) return fallback;
  const n = Number(opts[name]);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number, got "${opts[name]}"`);
  return n;
}

export async function runDrill(name: DrillName, opts: Record<string, string>): Promise<DrillResult> {
  const keep = opts.keep === 'true';
  const concurrency = opts.concurrency ? num(opts, 'concurrency', 50) : undefined;
  const caseTimeoutMinutes = num(opts, 'case-timeout', 25);
  switch (name) {
    case 'worker-kill':
      return workerKillDrill({
        applications: num(opts, 'applications', 200),
        kills: num(opts, 'kills', 5),
        intervalSeconds: num(opts, 'interval', 8),
        downSeconds: num(opts, 'down', 2),
        concurrency,
        caseTimeoutMinutes,
        keep,
      });
    case 'worker-rolling':
      return workerRollingDrill({
        applications: num(opts, 'applications', 120),
        replacements: num(opts, 'replacements', 2),
        intervalSeconds: num(opts, 'interval', 15),
        smtpDelayMs: num(opts, 'smtp-delay-ms', 300),
        smtpMaxConnections: num(opts, 'smtp-connections', 2),
        concurrency,
        caseTimeoutMinutes,
        keep,
      });
    case 'temporal-restart':
      return temporalRestartDrill({
        applications: num(opts, 'applications', 60),
        restarts: num(opts, 'restarts', 1),
        downSeconds: num(opts, 'temporal-down', 10),
        concurrency,
        caseTimeoutMinutes,
        keep,
      });
    case 'ferretdb-outage':
      return ferretDbOutageDrill({
        applications: num(opts, 'applications', 60),
        freezeSeconds: num(opts, 'freeze', 40),
        downSeconds: num(opts, 'ferret-down', 10),
        concurrency,
        caseTimeoutMinutes,
        keep,
      });
    case 'api-burst':
      return apiBurstDrill({
        seconds: num(opts, 'seconds', 15),
        burstConnections: num(opts, 'burst-connections', 64),
        validRate: num(opts, 'valid-rate', 50),
        ...(opts['min-success-rate'] ? { minSuccessRate: num(opts, 'min-success-rate', 0.99) } : {}),
        ...(opts['max-p95-ms'] ? { maxP95Ms: num(opts, 'max-p95-ms', 0) } : {}),
        keep,
      });
    case 'api-crash':
      return apiCrashDrill({
        cases: num(opts, 'cases', 90),
        kills: num(opts, 'kills', 6),
        delayMs: num(opts, 'delay-ms', 400),
        abandonEvery: num(opts, 'abandon-every', 5),
        convergeSeconds: num(opts, 'converge', 60),
        keep,
      });
    case 'slow-smtp':
      return slowSmtpDrill({
        companies: num(opts, 'companies', 1000),
        applications: num(opts, 'applications', 50),
        answerMs: range(opts, 'answer-ms', { min: 1000, max: 2000 }),
        stallEvery: num(opts, 'stall-every', 33),
        stallSeconds: num(opts, 'stall-seconds', 40),
        timeoutMinutes: num(opts, 'timeout', 25),
        convergeSeconds: num(opts, 'converge', 120),
        registrationConcurrency: num(opts, 'registration-concurrency', 20),
        concurrency,
        keep,
      });
  }
}

/** `--name=min-max` (ms), or one number for both. */
function range(opts: Record<string, string>, name: string, fallback: { min: number; max: number }): { min: number; max: number } {
  if (opts[name] === undefined) return fallback;
  const m = /^(\d+)(?:-(\d+))?$/.exec(opts[name]);
  if (!m || Number(m[2] ?? m[1]) < Number(m[1])) throw new Error(`--${name} must be min-max or a number (ms), got "${opts[name]}"`);
  return { min: Number(m[1]), max: Number(m[2] ?? m[1]) };
}

export function printResult(r: DrillResult): void {
  console.log(`\n=== ${r.drill}: ${r.passed ? 'PASSED' : 'FAILED'}`);
  console.log(JSON.stringify(r.figures, null, 2));
  for (const p of r.problems) console.log(`  PROBLEM: ${p}`);
  console.log('');
}

async function main(): Promise<void> {
  const { names, opts } = parseArgs(process.argv.slice(2));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(`${signal}: stopping the drills' processes`);
      void Promise.all([...activeStacks].map((s) => s.stop(true))).then(() => process.exit(130));
    });
  }
  if (opts.data) {
    const seeded = await ensureDataset(opts.data as DatasetSize, say);
    const dataset = opts.awake === 'true' ? await ensureAwakeDataset(seeded, num(opts, 'wake', 180)) : seeded;
    useDataset(dataset, num(opts, 'settle', 20));
    say(`every drill starts on a copy of the ${dataset.size} data set in ${dataset.dir}`);
  }
  const results: DrillResult[] = [];
  for (const name of names) {
    try {
      results.push(await runDrill(name, opts));
    } catch (err) {
      results.push({ drill: name, passed: false, figures: {}, problems: [`the drill itself failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`] });
    }
    printResult(results[results.length - 1]!);
  }
  say(`summary: ${results.map((r) => `${r.drill} ${r.passed ? 'passed' : 'FAILED'}`).join(', ')}`);
  process.exit(results.every((r) => r.passed) ? 0 : 1);
}

if (require.main === module) void main();
