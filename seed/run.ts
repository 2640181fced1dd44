/** Connects to a stack, seeds it (seeder.ts) and disconnects: shared by `npm run seed` and the cached data sets (dataset.ts). */
import { Client, Connection } from '@temporalio/client';
import { dataConverter } from '../codec/data-converter';
import type { TemporalConfig } from '../config';
import type { PayloadKey } from '../config/payload-keys';
import { clientConnectionOptions } from '../config/temporal';
import { connectDatabase } from '../db/connection';
import { BusinessCalendar } from '../domain/calendar';
import { DEFAULT_RULES, type BusinessRules } from '../domain/rules';
import { SIZES } from './data';
import type { Progress } from './progress';
import { seed } from './seeder';

export interface SeedStackOptions {
  size: keyof typeof SIZES;
  mongodbUri: string;
  temporal: TemporalConfig;
  /** The running cases' payloads are encrypted as the worker that runs them expects. */
  payloadKeys: PayloadKey[];
  rules?: BusinessRules;
  progress: Progress;
  concurrency?: number;
}

export async function seedStack(o: SeedStackOptions): Promise<{ asOf: Date; counts: Record<string, number> }> {
  const db = await connectDatabase(o.mongodbUri);
  try {
    // A long deadline per call: starting tens of thousands of workflows keeps the dev server's SQLite file busy.
    const connection = await Connection.connect(clientConnectionOptions({ ...o.temporal, callTimeoutMs: Math.max(o.temporal.callTimeoutMs ?? 0, 60_000) }));
    try {
      const temporal = new Client({ connection, namespace: o.temporal.namespace, dataConverter: dataConverter(o.payloadKeys) });
      return await seed({
        size: o.size,
        sizes: SIZES[o.size],
        db,
        temporal,
        taskQueue: o.temporal.taskQueue,
        calendar: new BusinessCalendar(o.rules ?? DEFAULT_RULES),
        progress: o.progress,
        concurrency: o.concurrency,
      });
    } finally {
      await connection.close();
    }
  } finally {
    await db.close();
  }
}
