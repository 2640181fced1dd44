/**
 * The store answers the project's queries from its indexes (tools/ferretdb/patches):
 * for every collection of every model, a lookup by `_id` and an equality query on
 * the leading field(s) of every index the model declares is an index search on
 * FerretDB's SQLite, as `explain` reports it. Also checks that the pushed-down
 * clause never loses a document the filter matches (arrays, mixed types).
 */
import type { Connection } from 'mongoose';
import type { Database } from '../../db/connection';
import { testDatabase } from '../support/servers';

let db: Database;
beforeAll(async () => {
  db = await testDatabase();
});
afterAll(async () => {
  await db?.connection.dropDatabase();
  await db?.close();
});

/** FerretDB's explain of a find: the SQLite query plan lines. */
async function plan(connection: Connection, collection: string, filter: Record<string, unknown>): Promise<string> {
  const res = (await connection.db!.command({ explain: { find: collection, filter } })) as { queryPlanner?: { Plan?: string[] } };
  return (res.queryPlanner?.Plan ?? []).join(' | ');
}

describe('every model index serves equality queries on FerretDB', () => {
  it('a lookup by _id is an index search in every collection', async () => {
    for (const model of Object.values(db.models)) {
      const p = await plan(db.connection, model.collection.collectionName, { _id: 'nope' });
      expect({ collection: model.collection.collectionName, plan: p }).toEqual({ collection: model.collection.collectionName, plan: expect.stringMatching(/SEARCH .* USING INDEX/) });
    }
  });

  it('equality on the leading top-level field(s) of every declared index is an index search', async () => {
    const checked: string[] = [];
    for (const model of Object.values(db.models)) {
      for (const [keys] of model.schema.indexes()) {
        // The leading top-level string fields: what the patched FerretDB pushes down (dotted paths and dates are filtered in Go).
        const lead: string[] = [];
        for (const f of Object.keys(keys)) {
          if (f.includes('.') || model.schema.path(f)?.instance !== 'String') break;
          lead.push(f);
        }
        if (lead.length === 0) continue;
        const filter = Object.fromEntries(lead.map((f) => [f, `x-${f}`]));
        const p = await plan(db.connection, model.collection.collectionName, filter);
        checked.push(`${model.collection.collectionName} ${JSON.stringify(filter)}`);
        expect({ filter, plan: p }).toEqual({ filter, plan: expect.stringMatching(/SEARCH .* USING INDEX/) });
      }
    }
    // $in on an indexed field (the digest's and the licence checks' lookups of several IDs or one company) too.
    for (const [collection, filter] of [
      ['cards', { companyId: { $in: ['x-1', 'x-2'] } }],
      ['card_users', { _id: { $in: ['x-1', 'x-2'] } }],
    ] as const) {
      expect({ filter, plan: await plan(db.connection, collection, filter) }).toEqual({ filter, plan: expect.stringMatching(/SEARCH .* USING INDEX/) });
    }
    // The project's hot lookups by company, card user and status are among them.
    expect(checked).toEqual(expect.arrayContaining([expect.stringContaining('cards {"companyId"'), expect.stringContaining('card_applications {"companyId"')]));
  });

  it('the pushed-down filter keeps every matching document: arrays, repeated values, other types', async () => {
    const c = db.connection.collection('pushdown_semantics');
    await c.createIndex({ tag: 1 });
    await c.insertMany([
      { _id: 'a' as never, tag: 'x', n: 1 },
      { _id: 'b' as never, tag: ['y', 'x'], n: 2 },
      { _id: 'c' as never, tag: 'y', n: 3 },
      { _id: 'd' as never, tag: true, n: 4 },
      { _id: 'e' as never, n: 5 },
      { _id: 'f' as never, tag: { v: 'x' }, n: 6 },
    ]);
    const ids = async (filter: Record<string, unknown>) => (await c.find(filter).toArray()).map((d) => d._id as unknown as string).sort();
    expect(await ids({ tag: 'x' })).toEqual(['a', 'b']);
    expect(await ids({ tag: { $eq: 'y' } })).toEqual(['b', 'c']);
    expect(await ids({ tag: true })).toEqual(['d']);
    expect(await ids({ tag: { $in: ['x', 'z'] } })).toEqual(['a', 'b']);
    expect(await ids({ tag: { $in: [true, 'y'] } })).toEqual(['b', 'c', 'd']);
    expect(await ids({ tag: { $in: ['y', null] } })).toEqual(['b', 'c', 'e']);
    expect(await ids({ _id: { $in: ['a', 'c', 'zz'] } })).toEqual(['a', 'c']);
    expect(await ids({ tag: 'x', n: 2 })).toEqual(['b']);
    expect(await ids({ _id: 'c', tag: 'y' })).toEqual(['c']);
    expect(await ids({ _id: 'c', tag: 'x' })).toEqual([]);
    expect(await ids({ tag: 'x', $or: [{ n: 1 }, { n: 6 }] })).toEqual(['a']);
    expect(await c.countDocuments({ tag: 'x' })).toBe(2);
    await c.updateOne({ _id: 'b' as never }, { $set: { n: 20 } });
    expect((await c.findOne({ _id: 'b' as never }))?.n).toBe(20);
    await c.deleteOne({ _id: 'a' as never });
    expect(await ids({ tag: 'x' })).toEqual(['b']);
  });
});
