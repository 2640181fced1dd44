/**
 * The worker process: validates configuration, connects MongoDB and SMTP, polls Temporal.
 * SIGTERM or SIGINT drains it: no new tasks, the ones in flight finish (workers/shutdown.ts), then it
 * exits 0. The Schedules are not its business: `npm run schedules:apply` is a deploy step (schedules/apply.ts).
 */
import { Client, Connection } from '@temporalio/client';
import { GracefulShutdownPeriodExpiredError, Runtime } from '@temporalio/worker';
import { dataConverter } from '../codec/data-converter';
import { loadConfig, ConfigError } from '../config';
import { clientConnectionOptions } from '../config/temporal';
import { connectDatabase } from '../db/connection';
import { createMailer } from '../email/mailer';
import { createLogger } from '../observability/logger';
import { clientInterceptors, createTracing } from '../observability/tracing';
import { sdkLogging } from './logging';
import { POLL_SHUTDOWN_WAIT_MS, SHUTDOWN_FORCE_MS, SHUTDOWN_GRACE_MS, WORKER_DRAINED_LINE, WORKER_DRAINING_LINE } from './shutdown';
import { createWorker, WORKER_READY_LINE } from './worker';

async function main(): Promise<void> {
  const config = loadConfig();
  // Read by the SDK core when the worker stops: polls stay open this long, so no task handed to them is lost (shutdown.ts).
  process.env.TEMPORAL_POLL_SHUTDOWN_INTERRUPT_WAIT_MS = String(POLL_SHUTDOWN_WAIT_MS);
  const logger = createLogger(config.logLevel, { service: 'worker' });
  // Before any connection: the SDK's logs as JSON lines, its metrics (and the activities' own) for Prometheus.
  const logging = sdkLogging(logger, config.logLevel);
  Runtime.install({
    logger: logging.logger,
    telemetryOptions: {
      ...logging.telemetryOptions,
      ...(config.worker.metricsAddress
        ? { metrics: { prometheus: { bindAddress: config.worker.metricsAddress, countersTotalSuffix: true, useSecondsForDurations: true } } }
        : {}),
    },
  });
  const db = await connectDatabase(config.mongodbUri);
  const mailer = createMailer(config.mail);
  const tracing = createTracing({ serviceName: 'xs-backoffice-worker', ...config.tracing });
  const clientConnection = await Connection.connect(clientConnectionOptions(config.temporal));
  const temporal = new Client({
    connection: clientConnection,
    namespace: config.temporal.namespace,
    dataConverter: dataConverter(config.payloadKeys),
    interceptors: clientInterceptors(tracing),
  });
  const { worker, connection } = await createWorker({
    temporal: config.temporal,
    payloadKeys: config.payloadKeys,
    ...(config.worker.deployment ? { deployment: config.worker.deployment } : {}),
    tracing,
    deps: {
      models: db.models,
      mailer,
      rules: config.rules,
      backofficeLead: config.mail.backofficeLead,
      publicBaseUrl: config.api.publicBaseUrl,
      linkSecret: config.linkSecret,
      ...(config.mail.customerServiceContact ? { customerServiceContact: config.mail.customerServiceContact } : {}),
      temporal,
    },
    options: {
      ...(config.worker.bundlePath ? { workflowBundle: { codePath: config.worker.bundlePath } } : {}),
      ...(config.worker.maxCachedWorkflows ? { maxCachedWorkflows: config.worker.maxCachedWorkflows } : {}),
    },
  });
  // The SDK's Runtime turns SIGINT/SIGTERM into worker.shutdown(): polling stops, tasks in flight finish.
  let drainStarted = 0;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      if (drainStarted) return;
      drainStarted = Date.now();
      console.log(`${WORKER_DRAINING_LINE} (${signal}): no new tasks; activities in flight may finish within ${SHUTDOWN_GRACE_MS / 1000} s, then are cancelled; exit after ${SHUTDOWN_FORCE_MS / 1000} s at the latest`);
    });
  }
  const running = worker.run();
  if (config.worker.metricsAddress) console.log(`worker: metrics at http://${config.worker.metricsAddress}/metrics`);
  const version = config.worker.deployment ? `deployment ${config.worker.deployment.deploymentName} build ${config.worker.deployment.buildId}` : 'unversioned';
  console.log(`${WORKER_READY_LINE} task queue "${config.temporal.taskQueue}" on ${config.temporal.address} (namespace ${config.temporal.namespace}, ${version})`);
  try {
    await running;
    if (drainStarted) console.log(`${WORKER_DRAINED_LINE} in ${((Date.now() - drainStarted) / 1000).toFixed(1)} s`);
  } catch (err) {
    if (!(err instanceof GracefulShutdownPeriodExpiredError)) throw err;
    console.error(`worker: activities still running ${SHUTDOWN_FORCE_MS / 1000} s after the signal; exiting without them (they are retried elsewhere)`);
    process.exitCode = 1;
  } finally {
    await connection.close();
    await clientConnection.close();
    await tracing.shutdown();
    mailer.close();
    await db.close();
  }
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
