/**
 * `make up`: the whole system on embedded defaults. Starts the Temporal dev
 * server (Web UI, persistent state, search attributes), FerretDB, MailDev;
 * applies the Schedules (`npm run schedules:apply`, the deploy step); starts
 * the worker and the API; waits for each to be ready; prints where everything is.
 * Ctrl-C stops every process it started. State lives under XS_DATA_DIR
 * (default .data/), so a second `make up` finds the first one's data.
 *
 * Setting TEMPORAL_ADDRESS, MONGODB_URI or SMTP_URL points the system at an
 * external server instead, and the local one is not started.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { loadConfig, type AppConfig, type WorkerDeploymentVersion } from '../config';
import { temporalConnectionOptions } from '../config/temporal';
import { setCurrentVersion } from '../workers/deployment';
import { LOCAL_API_KEYS } from '../config/api-keys';
import { assertPortFree, httpOk, type ManagedProcess } from './processes';
import { CODEC_READY_LINE } from '../codec/server';
import { WORKER_READY_LINE } from '../workers/worker';
import { startFerretDb, startMailDev, startNodeService, startTemporalServer } from './services';

const ROOT = join(__dirname, '..', '..');

function portFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`${name}: must be a port number, got "${raw}"`);
  return port;
}

async function main(): Promise<void> {
  const envFile = join(ROOT, '.env');
  if (existsSync(envFile)) process.loadEnvFile(envFile); // a copy of .env.example, if the user made one
  const dataDir = resolve(process.env.XS_DATA_DIR || join(ROOT, '.data'));
  const logs = join(dataDir, 'logs');
  mkdirSync(logs, { recursive: true });
  const ports = {
    temporal: portFrom('TEMPORAL_PORT', 7233),
    temporalUi: portFrom('TEMPORAL_UI_PORT', 8233),
    mongo: portFrom('MONGO_PORT', 27017),
    smtp: portFrom('SMTP_PORT', 1025),
    mailUi: portFrom('MAIL_UI_PORT', 1080),
    api: portFrom('API_PORT', 3000),
    workerMetrics: portFrom('WORKER_METRICS_PORT', 9464),
    codec: portFrom('CODEC_PORT', 8234),
  };
  const external = {
    temporal: Boolean(process.env.TEMPORAL_ADDRESS),
    mongo: Boolean(process.env.MONGODB_URI),
    smtp: Boolean(process.env.SMTP_URL),
  };
  const env: NodeJS.ProcessEnv = {
    TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS || `127.0.0.1:${ports.temporal}`,
    MONGODB_URI: process.env.MONGODB_URI || `mongodb://127.0.0.1:${ports.mongo}/xs-backoffice`,
    SMTP_URL: process.env.SMTP_URL || `smtp://127.0.0.1:${ports.smtp}`,
    API_PORT: String(ports.api),
    WORKER_METRICS_ADDRESS: process.env.WORKER_METRICS_ADDRESS || `127.0.0.1:${ports.workerMetrics}`,
    PUBLIC_BASE_URL: process.env.PUBLIC_BASE_URL || `http://127.0.0.1:${ports.api}`,
    CODEC_PORT: String(ports.codec),
    // The Web UI's origin, exactly (CORS with credentials): the one this script prints.
    CODEC_UI_ORIGINS: process.env.CODEC_UI_ORIGINS || `http://127.0.0.1:${ports.temporalUi}`,
  };
  const codecUrl = `http://127.0.0.1:${ports.codec}`;
  const config = loadConfig({ ...process.env, ...env }); // fail fast, naming the variable

  const started: ManagedProcess[] = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping...');
    for (const p of [...started].reverse()) await p.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    if (!external.temporal) {
      await assertPortFree(ports.temporal, 'Temporal', 'TEMPORAL_PORT');
      await assertPortFree(ports.temporalUi, 'Temporal Web UI', 'TEMPORAL_UI_PORT');
    }
    if (!external.mongo) await assertPortFree(ports.mongo, 'FerretDB', 'MONGO_PORT');
    if (!external.smtp) {
      await assertPortFree(ports.smtp, 'MailDev SMTP', 'SMTP_PORT');
      await assertPortFree(ports.mailUi, 'MailDev inbox', 'MAIL_UI_PORT');
    }
    await assertPortFree(ports.api, 'API', 'API_PORT');
    await assertPortFree(ports.codec, 'codec server', 'CODEC_PORT');
    if (env.WORKER_METRICS_ADDRESS !== 'off') await assertPortFree(ports.workerMetrics, 'worker metrics', 'WORKER_METRICS_PORT');

    console.log(`starting the local stack (data in ${dataDir}, logs in ${logs})`);
    const servers = await Promise.all([
      external.temporal
        ? null
        : startTemporalServer({ port: ports.temporal, uiPort: ports.temporalUi, dbFile: join(dataDir, 'temporal.db'), namespace: config.temporal.namespace, uiCodecEndpoint: codecUrl, logFile: join(logs, 'temporal.log') }),
      external.mongo ? null : startFerretDb({ port: ports.mongo, dataDir: join(dataDir, 'ferretdb'), logFile: join(logs, 'ferretdb.log') }),
      external.smtp ? null : startMailDev({ smtpPort: ports.smtp, webPort: ports.mailUi, mailDir: join(dataDir, 'mail'), logFile: join(logs, 'maildev.log') }),
    ]);
    for (const s of servers) if (s) started.push(s);

    applySchedules(env, join(logs, 'schedules.log'));
    const worker = await startNodeService({
      name: 'worker',
      script: 'workers/main.js',
      env,
      logFile: join(logs, 'worker.log'),
      ready: async (output) => output.includes(WORKER_READY_LINE),
    });
    started.push(worker);
    if (config.worker.deployment) await makeCurrent(config.temporal, config.worker.deployment);
    const api = await startNodeService({
      name: 'api',
      script: 'api/main.js',
      env,
      logFile: join(logs, 'api.log'),
      ready: () => httpOk(`http://127.0.0.1:${ports.api}/healthz`),
    });
    started.push(api);
    const codec = await startNodeService({
      name: 'codec',
      script: 'codec/main.js',
      env,
      logFile: join(logs, 'codec.log'),
      ready: async (output) => output.includes(CODEC_READY_LINE),
    });
    started.push(codec);
  } catch (err) {
    console.error(`\n${err instanceof Error ? err.message : String(err)}`);
    await stopAll(1);
    return;
  }

  for (const p of started) {
    void p.exited.then((code) => {
      if (!stopping) {
        console.error(`\n${p.name} stopped unexpectedly (code ${code}); see ${p.logFile}`);
        void stopAll(1);
      }
    });
  }

  const api = `http://127.0.0.1:${ports.api}`;
  console.log(
    [
      '',
      'XS-Key back-office is up:',
      `  REST API            ${api}/v1   (health ${api}/healthz, readiness ${api}/readyz)`,
      `  API docs            ${api}/docs   (OpenAPI ${api}/openapi.json)`,
      `  Metrics             ${api}/metrics (API, with a back-office or system key), ${env.WORKER_METRICS_ADDRESS === 'off' ? 'worker metrics off' : `http://${env.WORKER_METRICS_ADDRESS}/metrics (worker)`}`,
      process.env.API_KEYS
        ? '  API keys            from API_KEYS'
        : `  API key             Authorization: Bearer ${LOCAL_API_KEYS.backoffice}   (local keys: docs/api.md)`,
      external.temporal ? `  Temporal            ${env.TEMPORAL_ADDRESS} (external)` : `  Temporal Web UI     http://127.0.0.1:${ports.temporalUi}   (gRPC 127.0.0.1:${ports.temporal})`,
      `  Codec server        ${codecUrl}   (sign in with a back-office or customer-service key; then in the Web UI's Codec Server`,
      `                      settings: "Use my browser setting", endpoint ${codecUrl}, "Include cross-origin credentials" on)`,
      external.smtp ? `  SMTP                ${env.SMTP_URL} (external)` : `  Mail inbox          http://127.0.0.1:${ports.mailUi}   (SMTP 127.0.0.1:${ports.smtp})`,
      external.mongo ? '  MongoDB             (external)' : `  MongoDB (FerretDB)  mongodb://127.0.0.1:${ports.mongo}/xs-backoffice`,
      '',
      'Press Ctrl-C to stop everything.',
      '',
    ].join('\n'),
  );
}

/**
 * The worker polls as a deployment version (workers/deployment.ts); the server
 * dispatches workflows to it only once it is the deployment's current version:
 * what a deploy does after its replay check (docs/operations.md).
 */
async function makeCurrent(temporal: AppConfig['temporal'], version: WorkerDeploymentVersion): Promise<void> {
  const connection = await Connection.connect(temporalConnectionOptions(temporal));
  try {
    const previous = await setCurrentVersion(connection, temporal.namespace, version);
    const was = previous === version.buildId ? ' (already)' : previous ? ` (was ${previous})` : '';
    console.log(`  deployment ${version.deploymentName}: current version ${version.buildId}${was}`);
  } finally {
    await connection.close();
  }
}

/**
 * The deploy step before the workers: `node dist/schedules/main.js`, its lines echoed. A failure is
 * reported and the stack starts anyway (no worker needs the Schedules); run `npm run schedules:apply` again.
 */
function applySchedules(env: NodeJS.ProcessEnv, logFile: string): void {
  const run = spawnSync(process.execPath, [join(ROOT, 'dist', 'schedules', 'main.js')], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 90_000 });
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`;
  appendFileSync(logFile, `=== ${new Date().toISOString()}\n${output}`);
  for (const line of output.trim().split('\n').filter(Boolean)) console.log(`[schedules] ${line}`);
  if (run.status !== 0) console.warn(`[schedules] NOT applied (exit ${run.status ?? run.signal}): the stack starts without; run \`npm run schedules:apply\` once Temporal answers`);
}

void main();
