/**
 * Store micro-benchmark: the project's hot lookups on FerretDB (the launcher
 * the stack runs, with tools/ferretdb/patches) at the issuer's size against a
 * tiny collection. The goal: the time of a lookup does not grow with the data
 * (60,000 documents ÷ 100 documents ≤ 2), as on MongoDB with the models' indexes.
 *
 * One card_applications collection per size, written through the project's
 * model, 12 applications per company (so a query by company returns as many
 * documents at both sizes), phases spread evenly. Then, one call at a time,
 * each operation `samples` times on random existing keys (seeded), after a warm-up:
 * findById, updateOne by `_id` (what every activity's record write does), find by
 * company, countDocuments by company and phase. FerretDB runs on its own (the
 * Temporal server of the bench stack is idle meanwhile), so the figures are the store's.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { connectDatabase, type Database } from '../db/connection';
import { freePort } from '../stack/processes';
import { startFerretDb } from '../stack/services';
import { seededRandom } from '../seed/random';
import { CARD_APPLICATION_PHASES, CARD_TYPES } from '../workflows/definitions/card-application';
import type { BenchContext, BenchResult } from './context';
import { now, percentile, ratio, round, table } from './measure';

const SMALL = 100;
const PER_COMPANY = 12;
const OPS = ['findById', 'updateOne by _id', 'find by company', 'count by company+phase'] as const;
type Op = (typeof OPS)[number];

async function fill(db: Database, docs: number, log: (line: string) => void): Promise<number> {
  const companies = Math.max(1, Math.ceil(docs / PER_COMPANY));
  const t0 = now();
  for (let from = 0; from < docs; from += 1000) {
    const batch = Array.from({ length: Math.min(1000, docs - from) }, (_, k) => {
      const i = from + k;
      return {
        _id: `A${String(i).padStart(6, '0')}`,
        companyId: `C${String(i % companies).padStart(5, '0')}`,
        xsId: `XS${String(i).padStart(7, '0')}`,
        cardType: CARD_TYPES[i % CARD_TYPES.length]!,
        deliveryMethod: 'pickup' as const,
        destination: 'NL' as const,
        status: CARD_APPLICATION_PHASES[Math.floor(i / companies) % CARD_APPLICATION_PHASES.length]!,
        submittedAt: new Date(Date.UTC(2025, 0, 1) + i * 60_000),
      };
    });
    await db.models.CardApplication.insertMany(batch, { lean: true });
    if (from % 10_000 === 0 && from) log(`  store: ${from} of ${docs} written`);
  }
  return now() - t0;
}

async function measure(db: Database, docs: number, samples: number): Promise<Record<Op, number[]>> {
  const companies = Math.max(1, Math.ceil(docs / PER_COMPANY));
  const random = seededRandom(`store:${docs}`);
  const id = () => `A${String(random.int(docs)).padStart(6, '0')}`;
  const company = () => `C${String(random.int(companies)).padStart(5, '0')}`;
  const M = db.models.CardApplication;
  const run: Record<Op, () => Promise<unknown>> = {
    findById: () => M.findById(id()).lean(),
    'updateOne by _id': () => M.updateOne({ _id: id() }, { $set: { collectorName: `n${random.int(1000)}` } }),
    'find by company': () => M.find({ companyId: company() }).lean(),
    'count by company+phase': () => M.countDocuments({ companyId: company(), status: random.pick(CARD_APPLICATION_PHASES) }),
  };
  const out = {} as Record<Op, number[]>;
  for (const op of OPS) {
    for (let i = 0; i < 20; i++) await run[op]();
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t = now();
      await run[op]();
      times.push(now() - t);
    }
    out[op] = times;
  }
  return out;
}

/** FerretDB's explain of the operation's filter: the SQLite plan (SEARCH ... USING INDEX, or SCAN). */
async function plans(db: Database): Promise<Record<string, string>> {
  const filters: Record<string, Record<string, unknown>> = {
    'by _id': { _id: 'A000001' },
    'by company': { companyId: 'C00001' },
    'by company+phase': { companyId: 'C00001', status: 'in-production' },
  };
  const out: Record<string, string> = {};
  for (const [name, filter] of Object.entries(filters)) {
    const res = (await db.connection.db!.command({ explain: { find: 'card_applications', filter } })) as { queryPlanner?: { Plan?: string[] } };
    out[name] = (res.queryPlanner?.Plan ?? []).map((l) => l.replace(/^.*detail=/, '')).join('; ');
  }
  return out;
}

export async function runStore(ctx: BenchContext): Promise<BenchResult> {
  const startedAt = new Date();
  const large = ctx.sizes.storeDocs;
  const samples = 300;
  const dir = join(ctx.stack.dir, 'store-ferretdb');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const ferret = await startFerretDb({ port, dataDir: dir, logFile: join(ctx.stack.dir, 'store-ferretdb.log') });
  const rows: Array<Record<string, string | number>> = [];
  const p50: Record<number, Record<Op, number>> = {};
  const mean: Record<number, Record<Op, number>> = {};
  let plan: Record<string, string> = {};
  const writeMs: Record<number, number> = {};
  try {
    for (const docs of [SMALL, large]) {
      const db = await connectDatabase(`mongodb://127.0.0.1:${port}/store_${docs}`);
      try {
        ctx.log(`store: writing ${docs} card applications`);
        writeMs[docs] = await fill(db, docs, ctx.log);
        ctx.log(`store: ${samples} of each lookup at ${docs} documents`);
        const times = await measure(db, docs, samples);
        p50[docs] = {} as Record<Op, number>;
        mean[docs] = {} as Record<Op, number>;
        for (const op of OPS) {
          const t = times[op];
          p50[docs]![op] = percentile(t, 50);
          mean[docs]![op] = t.reduce((a, b) => a + b, 0) / t.length;
          rows.push({ documents: docs, operation: op, 'p50 ms': round(percentile(t, 50), 2), 'p99 ms': round(percentile(t, 99), 2), 'mean ms': round(mean[docs]![op], 2) });
        }
        if (docs === large) plan = await plans(db);
      } finally {
        await db.connection.dropDatabase().catch(() => undefined);
        await db.close();
      }
    }
  } finally {
    await ferret.stop();
  }
  const ratios: Record<string, number> = {};
  const ratioRows = OPS.map((op) => {
    const r = ratio(p50[large]![op], p50[SMALL]![op]);
    ratios[`${op} p50 ${large}/${SMALL}`] = r;
    return { operation: op, [`p50 at ${SMALL}`]: round(p50[SMALL]![op], 2), [`p50 at ${large}`]: round(p50[large]![op], 2), ratio: r, 'mean ratio': ratio(mean[large]![op], mean[SMALL]![op]), goal: '<= 2' };
  });
  return {
    benchmark: 'store',
    title: `Store lookups: ${large.toLocaleString('en')} documents against ${SMALL}`,
    measured: [
      `card_applications written through the project's model (${PER_COMPANY} per company, phases spread evenly), one FerretDB (the stack's launcher) of its own, one call at a time`,
      `${samples} calls per operation and size after 20 warm-up calls, random existing keys (seeded); latency at the client (mongoose), the ratio of the medians is the headline`,
      `writing the collections took ${round(writeMs[SMALL]! / 1000, 1)} s (${SMALL}) and ${round(writeMs[large]! / 1000, 1)} s (${large}), insertMany by 1,000`,
    ],
    sizes: { storeDocs: large },
    startedAt: startedAt.toISOString(),
    durationS: round((Date.now() - startedAt.getTime()) / 1000, 1),
    ratios,
    results: rows,
    tunings: [],
    notes: Object.entries(plan).map(([name, p]) => `SQLite plan at ${large} documents, ${name}: ${p}`),
    tables: [table('Store lookups by size', rows), table(`Store lookups: ${large} ÷ ${SMALL} documents (medians)`, ratioRows)],
  };
}
