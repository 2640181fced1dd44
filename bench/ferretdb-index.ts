/**
 * A bench-side workaround for a FerretDB 1.24 (SQLite backend) defect: a
 * lookup by `_id` is pushed down as `WHERE _ferretdb_sjson->'$._id' = ?`, but
 * the collection's `_id` index is built on `_ferretdb_sjson->"_id"`, an
 * expression SQLite does not treat as the same, so every findById, updateOne
 * by `_id` and outbox check scans the whole collection (EXPLAIN QUERY PLAN:
 * SCAN). With 10,000 companies that is ~0.1-0.3 s per lookup and the 10,000-
 * sized benchmarks would run for hours. The bench adds, on its throw-away
 * data only, an index on the very expression FerretDB queries, so lookups by
 * `_id` cost what they cost on MongoDB (an index search). FerretDB does not
 * know about the extra index (listIndexes does not show it); SQLite keeps it
 * up to date and uses it. BENCH_FERRETDB_ID_INDEX=0 runs without it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const SCRIPT = `
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=60)
tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\\\_ferretdb%' ESCAPE '\\\\'")]
for t in tables:
    if sys.argv[2] == 'add':
        db.execute('CREATE INDEX IF NOT EXISTS "%s__id_pushdown" ON "%s" (_ferretdb_sjson->\\'$._id\\')' % (t, t))
    else:
        db.execute('DROP INDEX IF EXISTS "%s__id_pushdown"' % t)
db.commit()
plan = db.execute("EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM \\"%s\\" WHERE _ferretdb_sjson->'$._id' = ?" % tables[0], ['"x"']).fetchall() if tables else []
print(len(tables), plan[0][3] if plan else '')
`;

export const idIndexEnabled = (): boolean => process.env.BENCH_FERRETDB_ID_INDEX !== '0';

/**
 * Adds (or drops) the `_id` pushdown index on every collection of a database;
 * returns how many collections and the query plan SQLite now picks for a lookup by `_id`.
 */
export function idPushdownIndexes(ferretDataDir: string, database: string, mode: 'add' | 'drop' = 'add'): { tables: number; plan: string } {
  const file = join(ferretDataDir, `${database}.sqlite`);
  if (!existsSync(file)) throw new Error(`no FerretDB file ${file}`);
  const out = execFileSync('python3', ['-c', SCRIPT, file, mode], { encoding: 'utf8' }).trim();
  const [tables, ...plan] = out.split(' ');
  return { tables: Number(tables), plan: plan.join(' ') };
}
