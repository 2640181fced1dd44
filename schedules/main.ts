/**
 * `npm run schedules:apply [-- --dry-run]`: the deploy step that brings the
 * Temporal Schedules to schedules/definitions.ts (schedules/apply.ts) and
 * prints, one line per Schedule, what it created, updated or left unchanged.
 * Exits 1, naming the error, when the Temporal server refused or did not
 * answer; running it again is always safe.
 */
import { Client, Connection } from '@temporalio/client';
import { dataConverter } from '../codec/data-converter';
import { ConfigError, loadConfig } from '../config';
import { temporalConnectionOptions } from '../config/temporal';
import { applySchedules, describeResult } from './apply';

/** No step of a deploy waits forever on an unreachable server. */
const CONNECT_TIMEOUT_MS = 10_000;

async function main(): Promise<void> {
  const dryRun = process.argv.includes('--dry-run');
  const unknown = process.argv.slice(2).filter((a) => a !== '--dry-run');
  if (unknown.length) throw new Error(`unknown argument(s) ${unknown.join(' ')}; usage: schedules:apply [--dry-run]`);
  const config = loadConfig();
  const connection = await Connection.connect({ ...temporalConnectionOptions(config.temporal), connectTimeout: CONNECT_TIMEOUT_MS });
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter: dataConverter(config.payloadKeys) });
    const results = await connection.withDeadline(Date.now() + 60_000, () => applySchedules(client, config, { dryRun }));
    for (const r of results) console.log(`schedules: ${describeResult(r, dryRun)}`);
  } finally {
    await connection.close();
  }
}

main().catch((err) => {
  console.error(`schedules: not applied: ${err instanceof ConfigError ? err.message : err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
