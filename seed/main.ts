/**
 * `npm run seed -- [--size realistic|small] [--concurrency N]`
 *
 * Fills the local stack (`make up`: FerretDB and the Temporal dev server, at the
 * addresses of the configuration: MONGODB_URI, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_TASK_QUEUE, PAYLOAD_KEYS) with a deterministic data set of the issuer's
 * size (seed/data.ts) and starts the workflows of its running cases. Re-running
 * continues where an earlier run stopped and never writes anything twice. The
 * worker need not run while seeding; the started workflows wait for it.
 */
import { loadConfig } from '../config';
import { SIZES } from './data';
import { stderrProgress } from './progress';
import { seedStack } from './run';

function parseArgs(argv: string[]): { size: keyof typeof SIZES; concurrency: number } {
  let size = 'small';
  let concurrency = 32;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i] ?? '';
    if (flag === '--size') size = value();
    else if (flag === '--concurrency') concurrency = Number(value());
    else if (flag === '--help' || flag === '-h') {
      console.log('npm run seed -- [--size realistic|small] [--concurrency N]');
      process.exit(0);
    } else throw new Error(`unknown argument "${argv[i]}" (npm run seed -- --size realistic|small [--concurrency N])`);
  }
  if (!(size in SIZES)) throw new Error(`--size is one of ${Object.keys(SIZES).join(', ')}, not "${size}"`);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('--concurrency must be a positive integer');
  return { size: size as keyof typeof SIZES, concurrency };
}

async function main(): Promise<void> {
  const { size, concurrency } = parseArgs(process.argv.slice(2));
  const config = loadConfig();
  // Made-up companies, people and cards: never into a production store.
  if (config.env === 'production') throw new Error('npm run seed refuses to run with NODE_ENV=production');
  const sizes = SIZES[size];
  process.stderr.write(`[seed] ${size}: ${JSON.stringify(sizes)} into ${config.mongodbUri.replace(/\/\/[^@]*@/, '//')} and Temporal ${config.temporal.address} (${config.temporal.namespace}/${config.temporal.taskQueue})\n`);
  const t0 = Date.now();
  const { asOf, counts } = await seedStack({
    size,
    mongodbUri: config.mongodbUri,
    temporal: config.temporal,
    payloadKeys: config.payloadKeys,
    rules: config.rules,
    progress: stderrProgress(),
    concurrency,
  });
  process.stderr.write(`[seed] done in ${((Date.now() - t0) / 1000).toFixed(1)} s; data set as of ${asOf.toISOString()}; documents: ${JSON.stringify(counts)}\n`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
