/** The API process: validates configuration, connects MongoDB, Temporal and SMTP, serves HTTP. */
import { Client, Connection } from '@temporalio/client';
import { dataConverter } from '../codec/data-converter';
import { loadConfig, ConfigError } from '../config';
import { clientConnectionOptions } from '../config/temporal';
import { connectDatabase } from '../db/connection';
import { BusinessCalendar } from '../domain/calendar';
import { createMailer } from '../email/mailer';
import { createLogger } from '../observability/logger';
import { clientInterceptors, createTracing } from '../observability/tracing';
import { createApp } from './app';
import { fingerprintKey } from './idempotency';
import { smtpGreeting } from './readiness';
import { startCreationSweep } from './services/creation-sweep';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, { service: 'api' });
  const db = await connectDatabase(config.mongodbUri);
  const tracing = createTracing({ serviceName: 'xs-backoffice-api', ...config.tracing });
  const connection = await Connection.connect(clientConnectionOptions(config.temporal));
  const temporal = new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: dataConverter(config.payloadKeys),
    interceptors: clientInterceptors(tracing),
  });
  const mailer = createMailer(config.mail);

  const serviceDeps = {
    models: db.models,
    temporal,
    taskQueue: config.temporal.taskQueue,
    calendar: new BusinessCalendar(config.rules),
    accountLimits: config.api.accountLimits,
    portal: config.api.portal,
    logger,
    // Drill only (refused in production by config/): widens the window between a record and its workflow's start.
    ...(config.api.faultDelayAfterRecordMs
      ? { faults: { afterRecord: () => new Promise<void>((r) => setTimeout(r, config.api.faultDelayAfterRecordMs)) } }
      : {}),
  };
  const app = createApp({
    ...serviceDeps,
    publicBaseUrl: config.api.publicBaseUrl,
    tracing,
    temporalDeadlineMs: config.temporal.callTimeoutMs,
    security: {
      keys: config.api.keys,
      rateLimitPerMinute: config.api.rateLimitPerMinute,
      idempotencyTtlHours: config.api.idempotencyTtlHours,
      fingerprintKey: fingerprintKey(config.linkSecret),
      idempotencyLeaseSeconds: config.api.idempotencyLeaseSeconds,
      trustedProxies: config.api.trustedProxies,
    },
    readiness: {
      mongodb: () => db.connection.db!.admin().ping(),
      temporal: () => connection.workflowService.getSystemInfo({}),
      // The greeting only: a login per check would get the mail account throttled (checks are cached, see readiness.ts).
      smtp: () => smtpGreeting(config.mail.smtpUrl),
    },
  });
  // Half-created cases (a crash between a record and its workflow's start) are completed here.
  const stopSweep = startCreationSweep(serviceDeps, config.api.creationSweep);
  const server = app.listen(config.api.port, config.api.host, () => {
    console.log(`api: listening on http://${config.api.host}:${config.api.port} (docs at /docs)`);
    logger.info({ keys: config.api.keys.map((k) => `${k.name} (${k.role})`) }, 'api keys loaded');
  });
  const shutdown = () => {
    server.close(async () => {
      await stopSweep();
      await connection.close();
      await tracing.shutdown();
      mailer.close();
      await db.close();
      process.exit(0);
    });
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
